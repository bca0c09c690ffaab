"""Loaded model versions, hot-loaded in the background and swapped in as immutable snapshots.

The registry follower unpacks each published artifact and calls :meth:`ModelStore.add_version`.
A loader thread then loads the pipeline and validates it (scores the manifest's
``sample_rows``); only then is a new :class:`StoreSnapshot` swapped in, in one reference
assignment. A batch holds the snapshot it started with, so in-flight work finishes on the
old version while new batches use the new one (MLServer's lesson: load the new version
before the old one goes away).

Which version a request gets ("production" alias, else the latest servable version) is
decided by a copy of the registry state that is only adopted once every servable version
it mentions has finished loading (or failed). So a newly published version takes over
only when it is ready: no request sees "not loaded yet" during a hot swap.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkml_runtime import Pipeline, load_pipeline

from spindrift.registry.state import ModelVersionInfo, RegistryState, UnknownModel, UnknownVersion

from . import metrics
from .errors import ServingError
from .projection import Projection

log = logging.getLogger(__name__)

VersionKey = tuple[str, int]


class ResolveError(ServingError):
    """A request's model reference cannot be served; ``code`` is the ErrorCode to reply with."""


@dataclass(frozen=True)
class LoadedVersion:
    """A model version ready to score: its pipeline and manifest."""

    name: str
    version: int
    pipeline: Pipeline
    manifest: Mapping[str, Any]
    model_dir: Path
    load_seconds: float
    projection: Projection = field(init=False, repr=False, compare=False)
    """Which columns replies carry, computed here, at load time, not per request."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "projection", Projection.of(self.pipeline))


@dataclass(frozen=True)
class StoreSnapshot:
    """An immutable view: the registry state it resolves with and the versions it can score."""

    state: RegistryState
    loaded: Mapping[VersionKey, LoadedVersion] = field(default_factory=dict)
    failed: Mapping[VersionKey, str] = field(default_factory=dict)

    def resolve(self, name: str, ref: str | None) -> LoadedVersion:
        """The loaded version ``ref`` (a number, an alias, or None) of ``name`` names; raises ResolveError."""
        try:
            info = self.state.resolve(name, ref)
        except UnknownModel as exc:
            raise ResolveError("UNKNOWN_MODEL", str(exc)) from None
        except UnknownVersion as exc:
            raise ResolveError("UNKNOWN_VERSION", str(exc)) from None
        key = (info.name, int(info.version))
        if not _servable(info):
            reason = _manifest(info).get("reason") or "its manifest marks it not servable"
            raise ResolveError("MODEL_NOT_SERVABLE", f"{name} version {key[1]} is not servable: {reason}", key[1])
        loaded = self.loaded.get(key)
        if loaded is not None:
            return loaded
        why = self.failed.get(key)
        if why is not None:
            raise ResolveError(
                "MODEL_NOT_SERVABLE", f"{name} version {key[1]} failed to load on this scorer: {why}", key[1]
            )
        raise ResolveError(
            "MODEL_NOT_SERVABLE", f"{name} version {key[1]} is not loaded on this scorer yet; retry shortly", key[1]
        )

    def versions(self) -> list[dict[str, Any]]:
        """Loaded and failed versions, for the status page and logs."""
        rows: list[dict[str, Any]] = [
            {"model": n, "version": v, "state": "loaded", "load_seconds": round(lv.load_seconds, 4)}
            for (n, v), lv in sorted(self.loaded.items())
        ]
        rows += [
            {"model": n, "version": v, "state": "failed", "reason": why} for (n, v), why in sorted(self.failed.items())
        ]
        return rows


def validate(pipeline: Pipeline, manifest: Mapping[str, Any]) -> None:
    """Score the manifest's sample rows; raises when the pipeline cannot score them."""
    samples = manifest.get("sample_rows") or []
    if not isinstance(samples, list):
        raise ValueError(f"manifest sample_rows must be a list of rows, got {type(samples).__name__}")
    if samples:
        results = pipeline.transform_rows(samples, errors="raise")
        if not all(isinstance(r, dict) for r in results):
            raise ValueError("scoring the manifest's sample rows returned something other than rows")


class ModelStore:
    """Loads versions in a background thread and serves immutable snapshots of what is loaded.

    ``registry_view`` returns the registry state to resolve with (a copy the store may keep);
    ``failures_view`` returns versions whose artifact was rejected upstream (bad checksum...);
    ``pending_timeout_s`` bounds how long a published version whose artifact never arrives
    (lost, or failing its checksum) may hold back the adoption of newer registry state.
    """

    def __init__(
        self,
        registry_view: Callable[[], RegistryState],
        *,
        failures_view: Callable[[], Mapping[VersionKey, str]] | None = None,
        pending_timeout_s: float = 30.0,
        loader: Callable[[Path], Pipeline] = load_pipeline,
    ) -> None:
        self._registry_view = registry_view
        self._failures_view = failures_view or dict
        self._pending_timeout_s = pending_timeout_s
        self._loader = loader
        self._snapshot = StoreSnapshot(RegistryState())
        self._lock = threading.Lock()  # serialises snapshot builders; readers never take it
        self._queue: queue.Queue[tuple[ModelVersionInfo, Path] | None] = queue.Queue()
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        self._first_seen: dict[VersionKey, float] = {}
        self._thread = threading.Thread(target=self._load_forever, name="model-loader", daemon=True)
        self._thread.start()

    # --- readers ------------------------------------------------------------------------
    def snapshot(self) -> StoreSnapshot:
        """The current snapshot (one attribute read: atomic, lock-free)."""
        return self._snapshot

    def wait_while_loading(self, name: str, ref: str | None, timeout: float) -> bool:
        """Wait up to ``timeout`` while the registry knows ``ref`` of ``name`` but this scorer is still loading it.

        A caller who scores right after the trainer says PUBLISHED would otherwise hear
        "unknown model" from a scorer a few milliseconds behind. Returns True when nothing
        is (any longer) pending for that reference.
        """
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._is_loading(name, ref):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # Woken by loads and registry refreshes; the short period also covers the
                # follower unpacking an artifact, which happens before add_version is called.
                self._idle.wait(min(remaining, 0.05))
        return True

    def _is_loading(self, name: str, ref: str | None) -> bool:
        """True when the current snapshot cannot serve ``ref`` but the newest registry state will once loaded."""
        try:
            info = self._registry_view().resolve(name, ref)
        except (UnknownModel, UnknownVersion):
            return False  # truly unknown: answer at once
        snapshot = self._snapshot
        if not _servable(info) or (info.name, int(info.version)) in snapshot.failed:
            return False
        try:
            snapshot.resolve(name, ref)  # an older version still serves during a hot swap: no wait
        except ResolveError:
            return True
        return False

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued version is loaded or failed; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    # --- writers ------------------------------------------------------------------------
    def add_version(self, info: ModelVersionInfo, model_dir: Path) -> None:
        """Queue a version whose artifact is unpacked at ``model_dir`` (the follower's on_ready callback)."""
        with self._lock:
            self._in_flight += 1
        self._queue.put((info, Path(model_dir)))

    def mark_failed(self, key: VersionKey, reason: str) -> None:
        """Record that a version cannot be served (e.g. its artifact is incomplete), so it holds nothing back."""
        self._install(key, failed=reason)
        self.refresh()

    def refresh(self) -> None:
        """Adopt the registry's latest state if every servable version in it is loaded or failed.

        Called after each load and whenever registry events arrive (alias changes need no load).
        """
        with self._lock:
            self._refresh_locked()
            self._idle.notify_all()

    def close(self) -> None:
        """Stop the loader thread after the versions already queued."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    # --- loader thread ------------------------------------------------------------------
    def _load_forever(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            info, model_dir = job
            try:
                self._load_one(info, model_dir)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._refresh_locked()
                    self._idle.notify_all()

    def _load_one(self, info: ModelVersionInfo, model_dir: Path) -> None:
        key = (info.name, int(info.version))
        manifest = _manifest(info)
        if not _servable(info):
            log.info("%s v%d is published as not servable (%s); not loading it", *key, manifest.get("reason"))
            return
        started = time.perf_counter()
        try:
            pipeline = self._loader(_pipeline_dir(model_dir))
            validate(pipeline, manifest)
        except Exception as exc:  # any failure marks the version failed; the worker keeps serving the rest
            reason = f"{type(exc).__name__}: {exc}"
            metrics.MODEL_LOAD_FAILURES.labels(info.name).inc()
            log.error("%s v%d failed to load or validate: %s", *key, reason)
            self._install(key, failed=reason)
            return
        elapsed = time.perf_counter() - started
        metrics.MODEL_LOAD_SECONDS.labels(info.name).observe(elapsed)
        self._install(key, loaded=LoadedVersion(info.name, key[1], pipeline, manifest, model_dir, elapsed))
        log.info("loaded %s v%d (%s) in %.3f s", *key, pipeline, elapsed)

    def _install(self, key: VersionKey, *, loaded: LoadedVersion | None = None, failed: str | None = None) -> None:
        with self._lock:
            old = self._snapshot
            new_loaded = dict(old.loaded)
            new_failed = dict(old.failed)
            if loaded is not None:
                new_loaded[key] = loaded
                new_failed.pop(key, None)
            if failed is not None:
                new_failed[key] = failed
                new_loaded.pop(key, None)
            self._snapshot = StoreSnapshot(old.state, new_loaded, new_failed)
            metrics.show_loaded_versions(new_loaded)

    def _refresh_locked(self) -> None:
        state = self._registry_view()
        current = self._snapshot
        upstream = self._failures_view()
        now = time.monotonic()
        waiting = []
        for info in _servable_versions(state):
            key = (info.name, int(info.version))
            if key in current.loaded or key in current.failed:
                continue
            if key in upstream:
                current = StoreSnapshot(current.state, current.loaded, {**current.failed, key: upstream[key]})
                continue
            first = self._first_seen.setdefault(key, now)
            if now - first < self._pending_timeout_s:
                waiting.append(key)
            else:
                current = StoreSnapshot(
                    current.state,
                    current.loaded,
                    {**current.failed, key: f"its artifact did not arrive within {self._pending_timeout_s:.0f} s"},
                )
        if waiting:
            self._snapshot = current  # keep resolving with the old state until these finish loading
            return
        retired = {(i.name, int(i.version)) for i in _retired_versions(state)}
        loaded = {k: v for k, v in current.loaded.items() if k not in retired}  # free retired models' memory
        self._snapshot = StoreSnapshot(state, loaded, current.failed)
        metrics.show_loaded_versions(loaded)


def _pipeline_dir(model_dir: Path) -> Path:
    """The saved PipelineModel inside an unpacked artifact (``model/``), or the directory itself."""
    inner = model_dir / "model"
    return inner if inner.is_dir() else model_dir


def _manifest(info: ModelVersionInfo) -> Mapping[str, Any]:
    manifest = getattr(info, "manifest", None)
    return manifest if isinstance(manifest, Mapping) else {}


def _servable(info: ModelVersionInfo) -> bool:
    return bool(getattr(info, "servable", _manifest(info).get("servable", True)))


def _servable_versions(state: RegistryState) -> list[ModelVersionInfo]:
    return [i for i in state.all_versions() if _servable(i) and not i.retired]


def _retired_versions(state: RegistryState) -> list[ModelVersionInfo]:
    return [i for i in state.all_versions() if i.retired]
