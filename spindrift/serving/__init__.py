"""Serving, without a protocol: loaded model versions, one vectorised data-plane call per batch.

No Kafka client and no web framework is imported here, directly or through other modules
(tests/unit/test_import_boundaries.py checks it): transports are adapters around it. The
pieces, one job each:

- ``model_store.py``: loaded versions, hot-loaded in the background, swapped as immutable snapshots;
- ``dataplane.py``: ``DataPlane.score(calls) -> outcomes``, one vectorised call per version;
- ``projection.py``: which columns a reply row carries;
- ``batcher.py``: adaptive micro-batching of polled requests;
- ``metrics.py``: Prometheus metrics every transport shares.
"""
