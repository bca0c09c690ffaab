"""One scorer process, assembled: a :class:`~spindrift.serving.runtime.ServingRuntime` behind a Kafka loop.

The runtime (registry follower → model store → data plane) does the serving; this adds the
Kafka side: topics, the consume → reply loop, the consumer-lag monitor and the health server.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spindrift.kafka.lag import LagMonitor
from spindrift.kafka.settings import KafkaSettings, make_consumer, make_producer
from spindrift.kafka.topics import SCORE_DLQ, SCORE_REQUESTS, TopicSpec, ensure_topics, standard_topics
from spindrift.observability import HealthServer
from spindrift.registry.follower import RegistryFollower
from spindrift.serving.runtime import OnEvent, OnReady, ServingRuntime

from .loop import ConsumeProduceLoop, RecordHandler, log_commit
from .request_reply import RequestReplyHandler
from .settings import ScorerSettings
from .stream import StreamHandler

log = logging.getLogger(__name__)

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
        self.runtime = ServingRuntime(
            _follower_factory(kafka, self.cache_dir),
            settings.scorer_id,
            loading_wait_s=settings.loading_wait_s,
            max_request_rows=settings.max_request_rows,
        )
        self.health = HealthServer(settings.metrics_port, self.ready, status=self.status, host=settings.metrics_host)
        self._loop_running: ConsumeProduceLoop[Any] | None = None

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
        self.runtime.start()

    def wait_ready(self, timeout: float) -> bool:
        """Wait for the registry catch-up and the initial loads; marks the scorer ready. False on timeout."""
        return self.runtime.wait_ready(timeout)

    def run_request_reply(self, stop: threading.Event) -> None:
        """Answer ``score.requests`` in the shared consumer group until ``stop`` is set."""
        handler = RequestReplyHandler(
            self.runtime.plane,
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
            self.runtime.plane,
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
        self.runtime.close()
        self.health.stop()
        if self._tmp_cache is not None:
            shutil.rmtree(self._tmp_cache, ignore_errors=True)

    # --- status -------------------------------------------------------------------------
    def ready(self) -> bool:
        """Whether the scorer has rebuilt its registry, loaded what it found, and still follows it."""
        return self.runtime.ready()

    def status(self) -> dict[str, Any]:
        """The status JSON shown on /health/ready."""
        return {
            "scorer": self.settings.scorer_id,
            "group_id": self.settings.group_id,
            "requests_topic": self.settings.requests_topic,
            "batching": self.settings.batching,
            "registry_caught_up": self.runtime.follower.caught_up,
            "assigned_partitions": self._loop_running.assigned_partitions if self._loop_running else [],
            "models": self.runtime.models(),
        }

    # --- internals ----------------------------------------------------------------------
    def _loop(self, handler: RecordHandler[Any], topics: list[str], group_id: str) -> ConsumeProduceLoop[Any]:
        s = self.settings
        client_id = f"{self.kafka.client_id}-scorer-{s.scorer_id}"
        consumer = make_consumer(
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
        producer = make_producer(
            self.kafka,
            client_id=client_id,
            overrides={
                # A reply topic missing from the metadata for this long is taken not to exist: its
                # request is dead-lettered.
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


def _follower_factory(kafka: KafkaSettings, cache_dir: Path) -> Callable[[OnReady, OnEvent], RegistryFollower]:
    """Builds the registry follower the serving runtime drives, unpacking artifacts into ``cache_dir``."""
    return lambda on_ready, on_event: RegistryFollower(kafka, cache_dir, on_ready, on_event=on_event)
