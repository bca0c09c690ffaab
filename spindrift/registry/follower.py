"""Follow the registry on Kafka: rebuild its state, reassemble and unpack artifacts, report ready models.

A ``RegistryFollower`` is one background thread with one consumer that is *assigned* every
partition of ``model.events`` and ``model.artifacts`` from the beginning (no consumer group:
every process needs every event). It folds events into a ``RegistryState``, collects chunks,
and when a published version has all its chunks it joins them, checks the sha256 named by the
PUBLISHED event, unpacks the archive safely into ``<cache_dir>/<name>/<version>/`` and calls
``on_ready(info, model_dir)``. A corrupt or missing chunk never yields a ready model: the
version is listed in ``failures`` (bad checksum, bad archive) or ``incomplete()`` (chunks
missing) instead.

``wait_caught_up(timeout)`` returns once everything that was on both topics when the
follower started has been read and every complete artifact among it handed to ``on_ready``;
a scorer reports ready after that. The thread keeps following afterwards (hot loading).

Callbacks run on the follower thread; one that raises is logged and recorded in ``failures``
and does not stop the follower.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaException

from spindrift import wire
from spindrift.kafka.reading import PartitionReader
from spindrift.kafka.records import Record
from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import MODEL_ARTIFACTS, MODEL_EVENTS, TopicSpec, ensure_topics, standard_topics
from spindrift.registry.artifact import ArtifactError, read_manifest, sha256_hex, unpack_model
from spindrift.registry.state import InvalidEvent, ModelVersionInfo, RegistryState, check_model_name

__all__ = ["OnEvent", "OnReady", "RegistryFollower"]

log = logging.getLogger(__name__)

OnReady = Callable[[ModelVersionInfo, Path], None]
OnEvent = Callable[[Mapping[str, Any]], None]
VersionKey = tuple[str, int]

_MARKER = ".sha256"  # written last in an unpacked version dir: the dir is complete and matches this hash


@dataclass
class _Chunks:
    """Chunks of one (name, version) received so far, grouped by the artifact hash they claim."""

    by_sha: dict[str, dict[int, bytes]] = field(default_factory=dict)
    count_by_sha: dict[str, int] = field(default_factory=dict)


class RegistryFollower:
    """Rebuilds the registry from Kafka in a thread and unpacks every published artifact into ``cache_dir``."""

    def __init__(
        self,
        settings: KafkaSettings,
        cache_dir: str | Path,
        on_ready: OnReady | None = None,
        *,
        on_event: OnEvent | None = None,
        events_topic: str = MODEL_EVENTS,
        artifacts_topic: str = MODEL_ARTIFACTS,
        poll_timeout_ms: int = 200,
    ) -> None:
        self._settings = settings
        self._cache_dir = Path(cache_dir)
        self._on_ready = on_ready
        self._on_event = on_event
        self._events_topic = events_topic
        self._artifacts_topic = artifacts_topic
        self._poll_timeout_ms = poll_timeout_ms
        self._state = RegistryState()
        self._lock = threading.Lock()
        self._chunks: dict[VersionKey, _Chunks] = {}
        self._ready: dict[VersionKey, Path] = {}
        self._failures: dict[VersionKey, str] = {}
        self._stop = threading.Event()
        self._caught_up = threading.Event()
        self._crashed: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._reader: PartitionReader | None = None
        self._targets: dict[tuple[str, int], int] = {}

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, timeout_s: float = 30.0) -> RegistryFollower:
        """Create the topics if needed, assign them from the beginning, start the thread; returns self."""
        if self._thread is not None:
            return self
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        layouts = {s.name: s for s in standard_topics(self._settings)}
        ensure_topics(
            self._settings,
            [
                layouts.get(self._events_topic, TopicSpec(self._events_topic)),
                layouts.get(self._artifacts_topic, TopicSpec(self._artifacts_topic, 1, {"cleanup.policy": "compact"})),
            ],
        )
        self._reader = PartitionReader(
            self._settings,
            [self._events_topic, self._artifacts_topic],
            timeout_s=timeout_s,
            client_id=f"{self._settings.client_id}-registry",
            overrides={"max.partition.fetch.bytes": 4 * 1024 * 1024},  # a fetch holds several artifact chunks
        )
        try:
            self._targets = self._reader.end_offsets(timeout_s)
        except BaseException:
            self._reader.close()
            raise
        self._thread = threading.Thread(target=self._run, name="registry-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop following and close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def __enter__(self) -> RegistryFollower:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what callers read ------------------------------------------------------------------

    def wait_caught_up(self, timeout: float) -> bool:
        """Wait until the topics are read up to the end offsets seen at start; False on timeout.

        Raises ``RuntimeError`` if the follower thread died (e.g. the broker went away for good).
        """
        caught_up = self._caught_up.wait(timeout)
        if self._crashed is not None:
            raise RuntimeError(f"the registry follower stopped: {self._crashed}") from self._crashed
        return caught_up

    @property
    def caught_up(self) -> bool:
        """Whether the initial catch-up has finished."""
        return self._caught_up.is_set()

    @property
    def state(self) -> RegistryState:
        """A consistent copy of the registry state as read so far."""
        with self._lock:
            return self._state.copy()

    def resolve(self, name: str, ref: str | int | None = None) -> ModelVersionInfo:
        """``state.resolve`` without copying the state."""
        with self._lock:
            return self._state.resolve(name, ref)

    def model_dir(self, name: str, version: int) -> Path | None:
        """Where a ready version's model is unpacked, or None."""
        with self._lock:
            return self._ready.get((name, int(version)))

    @property
    def failures(self) -> dict[VersionKey, str]:
        """Versions whose artifact was rejected (bad checksum, unsafe archive...) or whose callback failed."""
        with self._lock:
            return dict(self._failures)

    def incomplete(self) -> dict[VersionKey, str]:
        """Published, non-retired versions that are neither ready nor failed, with what they wait for."""
        with self._lock:
            waiting: dict[VersionKey, str] = {}
            for info in self._state.all_versions():
                key = (info.name, info.version)
                if info.retired or key in self._ready or key in self._failures:
                    continue
                chunks = self._chunks.get(key)
                have = len(chunks.by_sha.get(info.sha256, {})) if chunks else 0
                total = chunks.count_by_sha.get(info.sha256, "?") if chunks else "?"
                waiting[key] = f"waiting for artifact chunks ({have} of {total} received)"
            return waiting

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        reader = self._reader
        assert reader is not None
        try:
            while not self._stop.is_set():
                if not self._caught_up.is_set() and reader.reached(self._targets):
                    self._caught_up.set()
                for record in reader.poll(self._poll_timeout_ms / 1000):
                    self._on_record(record)
        except KafkaException as exc:  # a fatal client error: librdkafka retries everything else itself
            log.error("registry follower stopped: %s", exc)
            self._crashed = exc
            self._caught_up.set()  # wake waiters; wait_caught_up re-raises
        finally:
            reader.close()

    def _on_record(self, record: Record) -> None:
        """Fold one record in; one that makes the follower raise is logged and skipped, never fatal.

        There is no DLQ here: every process reads every registry record, so each would
        dead-letter the same one; the trainer that wrote it is the place to fix it.
        """
        try:
            if record.topic == self._events_topic:
                self._on_event_record(record)
            else:
                self._on_chunk_record(record)
        except Exception as exc:
            log.exception("skipping registry record %s: %s: %s", record.coordinates, type(exc).__name__, exc)

    def _on_event_record(self, record: Record) -> None:
        try:
            _name, event = wire.decode(record.value, record.headers, expected="ModelEvent")
        except wire.WireError as exc:
            log.error("skipping undecodable model event at offset %d: %s", record.offset, exc)
            return
        with self._lock:
            try:
                self._state.apply(event)
            except InvalidEvent as exc:
                log.error("skipping model event at offset %d: %s", record.offset, exc)
                return
        name, version = str(event["model"]), int(event["version"])
        if event["type"] == "PUBLISHED":
            self._try_assemble((name, version))
        elif event["type"] == "RETIRED":
            with self._lock:
                self._chunks.pop((name, version), None)
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("on_event callback failed for %s v%d %s", name, version, event["type"])

    def _on_chunk_record(self, record: Record) -> None:
        if record.value is None:
            return  # a tombstone: compaction will drop the chunk; nothing to assemble
        try:
            _name, chunk = wire.decode(record.value, record.headers, expected="ArtifactChunk")
            name = check_model_name(chunk["model"])
        except (wire.WireError, ValueError) as exc:
            log.error("skipping undecodable artifact chunk at offset %d: %s", record.offset, exc)
            return
        key = (name, int(chunk["version"]))
        index, count, sha = int(chunk["index"]), int(chunk["count"]), str(chunk["sha256"])
        if not 0 <= index < count:
            log.error("skipping chunk %s v%d: index %d outside 0..%d", *key, index, count - 1)
            return
        with self._lock:
            if key in self._ready:
                return  # a re-sent chunk of a version already unpacked
            pending = self._chunks.setdefault(key, _Chunks())
            if pending.count_by_sha.setdefault(sha, count) != count:
                log.error("skipping chunk %s v%d: count %d differs from earlier chunks", *key, count)
                return
            pending.by_sha.setdefault(sha, {})[index] = bytes(chunk["data"])
        self._try_assemble(key)

    def _try_assemble(self, key: VersionKey) -> None:
        with self._lock:
            try:
                info = self._state.get(*key)
            except LookupError:
                return  # chunks before their PUBLISHED event: wait for it
            if info.retired or key in self._ready:
                return
            pending = self._chunks.get(key)
            parts = pending.by_sha.get(info.sha256) if pending else None
            count = pending.count_by_sha.get(info.sha256) if pending else None
            if not parts or count is None or len(parts) < count:
                return
            data = b"".join(parts[i] for i in range(count))
            self._chunks.pop(key, None)
        self._install(info, data)

    def _install(self, info: ModelVersionInfo, data: bytes) -> None:
        key = (info.name, info.version)
        dest = self._cache_dir / info.name / str(info.version)
        try:
            actual = sha256_hex(data)
            if actual != info.sha256:
                raise ArtifactError(f"artifact sha256 mismatch: the event says {info.sha256}, the chunks give {actual}")
            model_dir = self._cached(dest, info.sha256)
            if model_dir is None:
                inner = read_manifest(data)
                if inner.get("name") != info.name or int(inner.get("version", -1)) != info.version:
                    raise ArtifactError(
                        f"artifact manifest names {inner.get('name')} v{inner.get('version')}, not {info.name} v{info.version}"
                    )
                model_dir = unpack_model(data, dest, expected_sha256=info.sha256)
                (dest / _MARKER).write_text(info.sha256 + "\n", encoding="utf-8")
        except (ArtifactError, OSError) as exc:
            self._fail(key, str(exc))
            return
        with self._lock:
            self._ready[key] = model_dir
            self._failures.pop(key, None)
        log.info("model %s v%d unpacked at %s", info.name, info.version, model_dir)
        if self._on_ready is not None:
            try:
                self._on_ready(info, model_dir)
            except Exception as exc:
                log.exception("on_ready callback failed for %s v%d", *key)
                self._fail(key, f"on_ready callback failed: {type(exc).__name__}: {exc}")

    def _cached(self, dest: Path, sha: str) -> Path | None:
        """The model dir from an earlier run if it was completely unpacked from the same artifact."""
        marker = dest / _MARKER
        try:
            if marker.read_text(encoding="utf-8").strip() == sha and (dest / "model").is_dir():
                return dest / "model"
        except OSError:
            pass
        return None

    def _fail(self, key: VersionKey, reason: str) -> None:
        log.error("model %s v%d not loaded: %s", key[0], key[1], reason)
        with self._lock:
            self._failures[key] = reason
