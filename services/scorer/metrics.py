"""Prometheus metrics of the Kafka scorer's own loop, with units in their names, on the default registry.

Serving metrics every transport shares (requests, rows, score time, loaded versions, loads)
are in :mod:`spindrift.serving.metrics`; these are the Kafka loop's: its micro-batches,
dead letters, reply failures and request age. One registry per process (MLServer's lesson:
two registries means half the metrics go missing); :class:`spindrift.observability.HealthServer`
serves it on ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

_ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
_FAST_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

BATCH_ROWS = Histogram(
    "spindrift_scorer_batch_rows", "Rows per micro-batch handed to the data plane.", buckets=_ROW_BUCKETS
)
BATCH_REQUESTS = Histogram(
    "spindrift_scorer_batch_requests", "Requests per micro-batch handed to the data plane.", buckets=_ROW_BUCKETS
)
REQUEST_AGE_SECONDS = Histogram(
    "spindrift_scorer_request_age_seconds",
    "From the caller's sent_at_ms to the reply being acknowledged (needs roughly synchronised clocks).",
    buckets=_FAST_SECONDS,
)
DLQ = Counter("spindrift_scorer_dlq", "Records sent to the dead-letter topic, by reason.", ["reason"])
REPLY_FAILURES = Counter(
    "spindrift_scorer_reply_failures", "Replies the broker did not acknowledge (the batch is re-delivered).", []
)
