"""Prometheus metrics of serving, whatever the transport, with units in their names, on the default registry.

One registry per process (MLServer's lesson: two registries means half the metrics go
missing); the scorer's :class:`spindrift.observability.HealthServer` serves it on
``/metrics``, and an application embedding :class:`~spindrift.serving.runtime.ServingRuntime`
exposes it however it exposes its own. The names keep their ``spindrift_scorer_`` prefix:
dashboards and alerts read them under those names. Metrics of one transport only (the
Kafka loop's batches, dead letters, reply failures) live with that transport.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

_LOAD_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_FAST_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUESTS = Counter(
    "spindrift_scorer_requests",
    "Score requests answered, by model, version used, outcome (ok or an ErrorCode) and transport "
    "(kafka, stream, inline...).",
    ["model", "version", "outcome", "transport"],
)
ROWS = Counter("spindrift_scorer_rows", "Rows scored successfully, by model and version.", ["model", "version"])
SCORE_SECONDS = Histogram(
    "spindrift_scorer_score_seconds",
    "Time of one vectorised transform call for one model version.",
    ["model", "version"],
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


def show_loaded_versions(keys: Iterable[tuple[str, int]]) -> None:
    """Publish the set of loaded ``(model, version)`` pairs on both loaded-version gauges."""
    loaded = sorted(set(keys))
    MODEL_VERSIONS_LOADED.set(len(loaded))
    MODEL_VERSION_LOADED.clear()
    for model, version in loaded:
        MODEL_VERSION_LOADED.labels(model, str(version)).set(1)
