"""Prometheus metrics of a scorer, with units in their names, on the default registry.

One registry per process (MLServer's lesson: two registries means half the metrics go
missing); :class:`spindrift.observability.HealthServer` serves it on ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

_ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
_LOAD_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_FAST_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUESTS = Counter(
    "spindrift_scorer_requests",
    "Score requests answered, by model, version used and outcome (ok or an ErrorCode).",
    ["model", "version", "outcome"],
)
ROWS = Counter("spindrift_scorer_rows", "Rows scored successfully, by model and version.", ["model", "version"])
BATCH_ROWS = Histogram(
    "spindrift_scorer_batch_rows", "Rows per micro-batch handed to the data plane.", buckets=_ROW_BUCKETS
)
BATCH_REQUESTS = Histogram(
    "spindrift_scorer_batch_requests", "Requests per micro-batch handed to the data plane.", buckets=_ROW_BUCKETS
)
SCORE_SECONDS = Histogram(
    "spindrift_scorer_score_seconds",
    "Time of one vectorised transform call for one model version.",
    ["model", "version"],
    buckets=_FAST_SECONDS,
)
REQUEST_AGE_SECONDS = Histogram(
    "spindrift_scorer_request_age_seconds",
    "From the caller's sent_at_ms to the reply being acknowledged (needs roughly synchronised clocks).",
    buckets=_FAST_SECONDS,
)
MODEL_VERSIONS_LOADED = Gauge("spindrift_scorer_model_versions_loaded", "Model versions loaded and validated.")
MODEL_VERSION_LOADED = Gauge(
    "spindrift_scorer_model_version_loaded",
    "1 for each model version this scorer has loaded and can serve (retired versions disappear).",
    ["model", "version"],
)
MODEL_LOAD_FAILURES = Counter(
    "spindrift_scorer_model_load_failures", "Model versions that failed to load or validate.", ["model"]
)
MODEL_LOAD_SECONDS = Histogram(
    "spindrift_scorer_model_load_seconds",
    "Time to load and validate one model version, by model.",
    ["model"],
    buckets=_LOAD_SECONDS,
)
EXPIRED = Counter(
    "spindrift_scorer_expired_requests",
    "Requests picked up after their deadline_ms and answered TIMEOUT without being scored.",
    [],
)
DLQ = Counter("spindrift_scorer_dlq", "Records sent to the dead-letter topic, by reason.", ["reason"])
REPLY_FAILURES = Counter(
    "spindrift_scorer_reply_failures", "Replies the broker did not acknowledge (the batch is re-delivered).", []
)


def show_loaded_versions(keys: Iterable[tuple[str, int]]) -> None:
    """Publish the set of loaded ``(model, version)`` pairs on both loaded-version gauges."""
    loaded = sorted(set(keys))
    MODEL_VERSIONS_LOADED.set(len(loaded))
    MODEL_VERSION_LOADED.clear()
    for model, version in loaded:
        MODEL_VERSION_LOADED.labels(model, str(version)).set(1)
