"""One serving runtime: registry follower → model store → data plane, with readiness and shutdown.

Every transport serves through one :class:`ServingRuntime`: the Kafka scorer wraps it in its
consume → reply loop, and an application embeds it to score in-process. The follower is
injected (anything shaped like :class:`RegistryFollowerLike`, built by a factory that is
handed the runtime's callbacks), so this module imports no Kafka client: the caller brings
:class:`spindrift.registry.follower.RegistryFollower`, or a follower of its own.

Start-up order matters for "never silence": :meth:`ServingRuntime.wait_ready` returns True
only once the registry is rebuilt and every servable version in it is loaded (or failed), so
a caller told "published" before the runtime started never hears ``UNKNOWN_MODEL`` from it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from spindrift.registry.state import ModelVersionInfo, RegistryState

from .dataplane import DataPlane, ScoreCall, ScoreOutcome
from .model_store import ModelStore, StoreSnapshot, VersionKey

__all__ = ["FollowerFactory", "OnEvent", "OnReady", "RegistryFollowerLike", "ServingRuntime"]

log = logging.getLogger(__name__)

OnReady = Callable[[ModelVersionInfo, Path], None]
"""Called with a published version once its artifact is unpacked in a directory."""
OnEvent = Callable[[Mapping[str, Any]], None]
"""Called with every registry event after it is folded into the state (aliases need no load)."""


class RegistryFollowerLike(Protocol):
    """What the runtime needs of a registry follower (``RegistryFollower`` is one)."""

    def start(self) -> object:
        """Start following in the background."""
        ...

    def stop(self) -> None:
        """Stop following."""
        ...

    def wait_caught_up(self, timeout: float) -> bool:
        """True once what was on the registry at start is read; raises once the follower has died."""
        ...

    @property
    def caught_up(self) -> bool:
        """Whether the initial catch-up has finished."""
        ...

    @property
    def state(self) -> RegistryState:
        """A consistent copy of the registry state read so far."""
        ...

    @property
    def failures(self) -> Mapping[VersionKey, str]:
        """Versions whose artifact was rejected upstream, with why."""
        ...

    def incomplete(self) -> Mapping[VersionKey, str]:
        """Published versions whose artifact has not fully arrived, with what they wait for."""
        ...


FollowerFactory = Callable[[OnReady, OnEvent], RegistryFollowerLike]
"""Builds the follower, given the callbacks it must call (``on_ready``, ``on_event``)."""

# How often the store re-checks the registry for versions stuck without an artifact.
_REFRESH_INTERVAL_S = 1.0


class ServingRuntime:
    """Serves the registry's models in this process: ``start`` → ``wait_ready`` → ``score`` ... → ``close``.

    Embedding a registry-following model in an application, with hot reload (a newly
    published version takes over once loaded; in-flight calls finish on the old one)::

        from spindrift.kafka.settings import KafkaSettings
        from spindrift.registry.follower import RegistryFollower
        from spindrift.serving import ScoreCall, ServingRuntime

        kafka = KafkaSettings()  # KAFKA_BOOTSTRAP_SERVERS
        runtime = ServingRuntime(
            lambda on_ready, on_event: RegistryFollower(kafka, "/var/cache/models", on_ready, on_event=on_event),
            server_id="recommender-1",
        )
        with runtime.start():
            if not runtime.wait_ready(timeout=60):
                raise SystemExit("the registry did not catch up in 60 s")
            rows = runtime.predict("churn", [{"text": "cancel my plan"}])  # raises ServingError
            # or many requests in one vectorised call, errors as outcomes:
            outcomes = runtime.score([ScoreCall("r1", "churn", [{"text": "hi"}], version="production")])

    ``ServingError.http_status`` is what a web front answers for an error; the requests
    counter labels these calls ``transport="inline"`` unless told otherwise.
    """

    def __init__(
        self,
        follower: FollowerFactory,
        server_id: str,
        *,
        loading_wait_s: float = 5.0,
        max_request_rows: int | None = None,
        pending_timeout_s: float = 30.0,
    ) -> None:
        self.server_id = server_id
        self.follower = follower(self._on_version_ready, self._on_registry_event)
        self.store = ModelStore(
            lambda: self.follower.state,
            failures_view=lambda: self.follower.failures,
            pending_timeout_s=pending_timeout_s,
        )
        self.plane = DataPlane(self.store, server_id, loading_wait_s=loading_wait_s, max_rows=max_request_rows)
        self._ready = threading.Event()
        self._closing = threading.Event()
        self._refresher = threading.Thread(target=self._refresh_forever, name="store-refresh", daemon=True)

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> ServingRuntime:
        """Start following the registry and loading what it publishes; returns self."""
        self.follower.start()
        self._refresher.start()
        return self

    def wait_ready(self, timeout: float) -> bool:
        """Wait for the registry catch-up and the initial loads; marks the runtime ready. False on timeout."""
        if not self.follower.wait_caught_up(timeout):
            return False
        # Whatever was published before we started but is still incomplete will not complete by waiting.
        for key, why in self.follower.incomplete().items():
            self.store.mark_failed(key, f"artifact incomplete at start-up: {why}")
        self.store.refresh()
        if not self.store.wait_idle(timeout):
            return False
        self._ready.set()
        log.info(
            "serving %s ready; model versions: %s",
            self.server_id,
            ", ".join(f"{v['model']} v{v['version']} ({v['state']})" for v in self.models()) or "none published yet",
        )
        return True

    def close(self) -> None:
        """Stop following, loading and refreshing."""
        self._closing.set()
        self.follower.stop()
        self.store.close()
        if self._refresher.is_alive():
            self._refresher.join(timeout=5.0)

    def __enter__(self) -> ServingRuntime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- serving ------------------------------------------------------------------------
    def score(self, calls: Sequence[ScoreCall], *, transport: str = "inline") -> list[ScoreOutcome]:
        """Answer every call in one data-plane call, in order; a bad request gets an error outcome, never raises."""
        return self.plane.score(calls, transport=transport) if calls else []

    def predict(
        self,
        model: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        version: str | int | None = None,
        outputs: Sequence[str] | None = None,
        request_id: str = "inline",
    ) -> list[dict[str, Any]]:
        """Score ``rows`` with ``model`` (``version``: a number, an alias, or None for the default).

        Returns the scored rows; raises :class:`~spindrift.serving.errors.ServingError` with the
        error's code, message and HTTP status.
        """
        call = ScoreCall(request_id, model, rows, None if version is None else str(version), outputs=outputs)
        [outcome] = self.score([call])
        return outcome.scored_rows()

    # --- status -------------------------------------------------------------------------
    def ready(self) -> bool:
        """Whether the registry is rebuilt, what it held is loaded, the follower still follows and close() was not called."""
        if self._closing.is_set():
            return False
        # wait_caught_up(0) raises once the follower thread has died (e.g. the broker is gone for good).
        return self._ready.is_set() and self.follower.wait_caught_up(0)

    def snapshot(self) -> StoreSnapshot:
        """The immutable set of loaded versions a call made now would use."""
        return self.store.snapshot()

    def models(self) -> list[dict[str, Any]]:
        """Loaded and failed versions, for status pages and logs."""
        return self.store.snapshot().versions()

    # --- internals ----------------------------------------------------------------------
    def _on_version_ready(self, info: ModelVersionInfo, model_dir: Path) -> None:
        self.store.add_version(info, model_dir)

    def _on_registry_event(self, _event: Mapping[str, Any]) -> None:
        self.store.refresh()

    def _refresh_forever(self) -> None:
        while not self._closing.wait(_REFRESH_INTERVAL_S):
            try:
                self.store.refresh()
            except Exception:  # a failed refresh is retried next tick; serving goes on with the last snapshot
                log.exception("refreshing the model store failed")
