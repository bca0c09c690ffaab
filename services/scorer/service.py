"""One scorer process, assembled: registry follower → model store → data plane → a Kafka loop.

Start-up order matters for "never silence": the scorer first rebuilds the registry and loads
every servable version, and only then joins the consumer group, so it never answers
UNKNOWN_MODEL just because it has not read ``model.events`` yet. ``/health/ready`` turns
200 at that moment.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spindrift.kafka.lag import LagMonitor
from spindrift.kafka.settings import KafkaSettings, make_fast_consumer, make_fast_producer
from spindrift.kafka.topics import SCORE_DLQ, SCORE_REQUESTS, TopicSpec, ensure_topics, standard_topics
from spindrift.observability import HealthServer
from spindrift.registry.follower import RegistryFollower
from spindrift.serving.dataplane import DataPlane
from spindrift.serving.model_store import ModelStore

from .loop import ConsumeProduceLoop, RecordHandler, log_commit
from .request_reply import RequestReplyHandler
from .settings import ScorerSettings
from .stream import StreamHandler

log = logging.getLogger(__name__)

# How often the store re-checks the registry for versions stuck without an artifact.
_REFRESH_INTERVAL_S = 1.0
# How long a batch's output may wait for the broker's acknowledgement before the batch is handled again.
_ACK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class StreamSpec:
    """Stream mode: read events from ``in_topic``, write them enriched to ``out_topic``."""

    in_topic: str
    out_topic: str
    model: str
    version: str | None = None
    columns: list[str] | None = None
    group_id: str | None = None
    partitions: int = field(default=1)


class ScorerService:
    """Owns the scorer's threads and clients; ``start`` → ``wait_ready`` → ``run`` → (stop set) → ``close``."""

    def __init__(self, kafka: KafkaSettings, settings: ScorerSettings) -> None:
        self.kafka = kafka
        self.settings = settings
        self._tmp_cache: Path | None = None
        if settings.cache_dir is None:
            self._tmp_cache = Path(tempfile.mkdtemp(prefix=f"spindrift-scorer-{settings.scorer_id}-"))
        self.cache_dir = settings.cache_dir or self._tmp_cache
        assert self.cache_dir is not None
        self.follower = RegistryFollower(
            kafka, self.cache_dir, on_ready=self._on_version_ready, on_event=lambda _event: self.store.refresh()
        )
        self.store = ModelStore(lambda: self.follower.state, failures_view=lambda: self.follower.failures)
        self.plane = DataPlane(
            self.store, settings.scorer_id, loading_wait_s=settings.loading_wait_s, max_rows=settings.max_request_rows
        )
        self._ready = threading.Event()
        self._closing = threading.Event()
        self.health = HealthServer(settings.metrics_port, self.ready, status=self.status, host=settings.metrics_host)
        self._loop_running: ConsumeProduceLoop[Any] | None = None
        self._refresher = threading.Thread(target=self._refresh_forever, name="store-refresh", daemon=True)

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, extra_topics: list[TopicSpec] | None = None) -> None:
        """Create missing topics, serve health/metrics and start following the registry."""
        specs = list(standard_topics(self.kafka))
        if self.settings.requests_topic != SCORE_REQUESTS:
            specs.append(TopicSpec(self.settings.requests_topic, self.kafka.score_partitions))
        if self.settings.dlq_topic != SCORE_DLQ:
            specs.append(TopicSpec(self.settings.dlq_topic, 1))
        ensure_topics(self.kafka, specs + list(extra_topics or []))
        self.health.start()
        log.info(
            "scorer %s: metrics and health on http://%s:%d (/metrics, /health/ready)",
            self.settings.scorer_id,
            self.settings.metrics_host,
            self.health.port,
        )
        self.follower.start()
        self._refresher.start()

    def wait_ready(self, timeout: float) -> bool:
        """Wait for the registry catch-up and the initial loads; marks the scorer ready. False on timeout."""
        if not self.follower.wait_caught_up(timeout):
            return False
        # Whatever was published before we started but is still incomplete will not complete by waiting.
        for key, why in self.follower.incomplete().items():
            self.store.mark_failed(key, f"artifact incomplete at start-up: {why}")
        self.store.refresh()
        if not self.store.wait_idle(timeout):
            return False
        self._ready.set()
        loaded = self.store.snapshot().versions()
        log.info(
            "scorer %s ready; model versions: %s",
            self.settings.scorer_id,
            ", ".join(f"{v['model']} v{v['version']} ({v['state']})" for v in loaded) or "none published yet",
        )
        return True

    def run_request_reply(self, stop: threading.Event) -> None:
        """Answer ``score.requests`` in the shared consumer group until ``stop`` is set."""
        handler = RequestReplyHandler(
            self.plane,
            self.settings.dlq_topic,
            max_request_bytes=self.settings.max_request_bytes,
            max_reply_bytes=self.settings.max_reply_bytes,
        )
        log.info("consuming %s as group %s", self.settings.requests_topic, self.settings.group_id)
        lag = LagMonitor(self.kafka, self.settings.group_id, [self.settings.requests_topic]).start()
        try:
            self._loop(handler, [self.settings.requests_topic], self.settings.group_id).run(stop)
        finally:
            lag.stop()

    def run_stream(self, spec: StreamSpec, stop: threading.Event) -> None:
        """Enrich ``spec.in_topic`` events onto ``spec.out_topic`` until ``stop`` is set."""
        group = spec.group_id or f"spindrift-stream-{spec.model}-{spec.in_topic}"
        handler = StreamHandler(
            self.plane,
            model=spec.model,
            version=spec.version,
            out_topic=spec.out_topic,
            dlq_topic=self.settings.dlq_topic,
            columns=spec.columns,
        )
        log.info(
            "streaming %s → %s with %s (version %s), group %s",
            spec.in_topic,
            spec.out_topic,
            spec.model,
            spec.version or "default",
            group,
        )
        self._loop(handler, [spec.in_topic], group).run(stop)

    def close(self) -> None:
        """Stop background threads and servers; remove a temporary model cache."""
        self._closing.set()
        self.follower.stop()
        self.store.close()
        self.health.stop()
        if self._tmp_cache is not None:
            shutil.rmtree(self._tmp_cache, ignore_errors=True)

    # --- status -------------------------------------------------------------------------
    def ready(self) -> bool:
        """Whether the scorer has rebuilt its registry, loaded what it found, and still follows it."""
        # wait_caught_up(0) raises once the follower thread has died (e.g. the broker is gone for good).
        return self._ready.is_set() and self.follower.wait_caught_up(0)

    def status(self) -> dict[str, Any]:
        """The status JSON shown on /health/ready."""
        return {
            "scorer": self.settings.scorer_id,
            "group_id": self.settings.group_id,
            "requests_topic": self.settings.requests_topic,
            "batching": self.settings.batching,
            "registry_caught_up": self.follower.caught_up,
            "assigned_partitions": self._loop_running.assigned_partitions if self._loop_running else [],
            "models": self.store.snapshot().versions(),
        }

    # --- internals ----------------------------------------------------------------------
    def _on_version_ready(self, info: Any, model_dir: Path) -> None:
        self.store.add_version(info, model_dir)

    def _refresh_forever(self) -> None:
        while not self._closing.wait(_REFRESH_INTERVAL_S):
            try:
                self.store.refresh()
            except Exception:  # a failed refresh is retried next tick; serving goes on with the last snapshot
                log.exception("refreshing the model store failed")

    def _loop(self, handler: RecordHandler[Any], topics: list[str], group_id: str) -> ConsumeProduceLoop[Any]:
        s = self.settings
        client_id = f"{self.kafka.client_id}-scorer-{s.scorer_id}"
        consumer = make_fast_consumer(
            self.kafka,
            group_id=group_id,
            client_id=client_id,
            overrides={
                "session.timeout.ms": s.session_timeout_ms,
                "heartbeat.interval.ms": max(500, s.session_timeout_ms // 3),
                "partition.assignment.strategy": s.assignment_strategy,
                "on_commit": log_commit,
            },
        )
        producer = make_fast_producer(
            self.kafka,
            client_id=client_id,
            overrides={
                # A reply topic missing from the metadata for this long is taken not to exist: its
                # request is dead-lettered (kafka-python's max_block_ms played this part).
                "topic.metadata.propagation.max.ms": s.missing_topic_ms,
                # librdkafka remembers a missing topic until its next metadata refresh (5 min by default);
                # refresh as often as we wait, so a reply topic created late is used again that soon.
                "topic.metadata.refresh.interval.ms": max(1_000, s.missing_topic_ms),
                # Delivery reports arrive within the loop's ack timeout, so a batch never waits forever.
                "message.timeout.ms": int(_ACK_TIMEOUT_S * 1000),
            },
        )
        self._loop_running = ConsumeProduceLoop(
            consumer,
            producer,
            handler,
            topics=topics,
            dlq_topic=s.dlq_topic,
            batching=s.batching,
            max_batch_rows=s.max_batch_rows,
            max_wait_ms=s.max_wait_ms,
            ack_timeout_s=_ACK_TIMEOUT_S,
        )
        return self._loop_running
