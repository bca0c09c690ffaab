"""The scorer service: answers score requests from Kafka with Spark-free ``sparkml_runtime`` models.

Run it with ``python -m services.scorer`` (request/reply on ``score.requests``) or with
``--stream IN:OUT --model NAME`` (enrich an event stream). The pieces, one job each:

- ``settings.py``: ``ScorerSettings`` (``SCORER_*`` environment variables);
- ``loop.py``: the at-least-once consume → handle → produce → commit loop;
- ``request_reply.py`` / ``stream.py``: the request/reply and stream adapters plugged into that loop;
- ``metrics.py``: the Kafka loop's Prometheus metrics; ``service.py``: assembles one process; ``__main__.py``: the CLI.

Everything protocol-free (model store, data plane, micro-batcher, serving metrics) is in
:mod:`spindrift.serving`.
"""
