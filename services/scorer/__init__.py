"""The scorer service: answers score requests from Kafka with Spark-free ``sparkml_runtime`` models.

Run it with ``python -m services.scorer`` (request/reply on ``score.requests``) or with
``--stream IN:OUT --model NAME`` (enrich an event stream). The pieces, one job each:

- ``settings.py``: ``ScorerSettings`` (``SCORER_*`` environment variables);
- ``model_store.py``: loaded versions, hot-loaded in the background, swapped as immutable snapshots;
- ``dataplane.py``: the protocol-free ``DataPlane.score(calls) -> outcomes``, one vectorised call per version;
- ``batcher.py``: adaptive micro-batching of polled requests;
- ``kafka_loop.py``: the at-least-once consume → handle → produce → commit loop;
- ``kafka_worker.py`` / ``stream.py``: the request/reply and stream adapters plugged into that loop;
- ``metrics.py``: Prometheus metrics; ``service.py``: assembles one process; ``__main__.py``: the CLI.
"""
