"""Serving, without a protocol: loaded model versions, one vectorised data-plane call per batch.

No Kafka client and no web framework is imported here, directly or through other modules
(tests/unit/test_import_boundaries.py checks it): transports are adapters around it. The
pieces, one job each:

- ``runtime.py``: ``ServingRuntime``, registry follower → model store → data plane, readiness
  and shutdown; what the Kafka scorer wraps and what an application embeds;
- ``model_store.py``: loaded versions, hot-loaded in the background, swapped as immutable snapshots;
- ``dataplane.py``: ``DataPlane.score(calls) -> outcomes``, one vectorised call per version;
- ``errors.py``: ``ErrorCode`` (with the HTTP status a web adapter answers) and ``ServingError``;
- ``projection.py``: which columns a reply row carries;
- ``batcher.py``: adaptive micro-batching of polled requests;
- ``metrics.py``: Prometheus metrics every transport shares.

The names below are imported on first use, so ``spindrift.serving.errors`` alone (what the
gateway maps error codes with) does not load the runtime and numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataplane import DataPlane, ScoreCall, ScoreOutcome
    from .errors import ErrorCode, ServingError
    from .runtime import ServingRuntime

__all__ = ["DataPlane", "ErrorCode", "ScoreCall", "ScoreOutcome", "ServingError", "ServingRuntime"]

_HOME = {
    "DataPlane": "dataplane",
    "ScoreCall": "dataplane",
    "ScoreOutcome": "dataplane",
    "ErrorCode": "errors",
    "ServingError": "errors",
    "ServingRuntime": "runtime",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
