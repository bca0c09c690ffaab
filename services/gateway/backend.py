"""The gateway's Kafka side: the scoring client, the job and model boards, a producer, the readiness probe.

Built once per process in FastAPI's lifespan. Connecting happens on a background thread that
retries until the cluster answers, so the gateway serves ``/health/live`` (and 503s that say
what is wrong) even while Kafka is still starting. Routes ask for the part they need with
``backend.client()``, ``backend.producer()``...; each raises :class:`KafkaUnavailable` (503)
until connected.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from confluent_kafka import Producer

from spindrift.client import SpindriftClient
from spindrift.kafka.follow import TopicFollower
from spindrift.kafka.readiness import wait_for_cluster
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import (
    MODEL_EVENTS,
    TRAIN_EVENTS,
    TRAIN_REQUESTS,
    TopicSpec,
    ensure_topics,
    standard_topics,
)

from .errors import KafkaUnavailable
from .health import ClusterProbe, ProbeResult
from .job_board import JobBoard
from .model_board import ModelBoard
from .settings import GatewaySettings

__all__ = ["Backend"]

log = logging.getLogger(__name__)


@dataclass
class _Connected:
    client: SpindriftClient
    producer: Producer
    followers: list[TopicFollower]


class Backend:
    """Everything a route may call into; thread-safe."""

    def __init__(self, settings: GatewaySettings, kafka: KafkaSettings) -> None:
        self.settings = settings
        self.kafka = kafka
        self.jobs = JobBoard()
        self.models = ModelBoard()
        self.probe = ClusterProbe(
            kafka, settings.scorer_group_id, cache_s=settings.health_cache_s, timeout_s=settings.kafka_probe_timeout_s
        )
        self._connected: _Connected | None = None
        self._last_error = "still connecting to Kafka"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._connect_until_done, name="gateway-connect", daemon=True)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (and probing the cluster) in the background."""
        self.probe.start()
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected and caught up with both event topics (True) or ``timeout`` passes."""
        self._thread.join(timeout)
        return self.caught_up

    def close(self, timeout: float = 8.0) -> None:
        """Stop connecting, close the client (deleting its reply topic), the followers and the producer.

        Bounded by ``timeout``: with Kafka gone, closing its clients can block for their request
        timeouts (30 s), and a gateway asked to stop must stop; whatever is left is abandoned.
        """
        self._stop.set()
        self.probe.stop()
        if not self.probe.check().kafka_ok:
            timeout = min(timeout, 2.0)  # nothing to flush to a cluster that does not answer
        closer = threading.Thread(target=self._release, name="gateway-close", daemon=True)
        closer.start()
        closer.join(timeout)
        if closer.is_alive():
            log.warning("Kafka clients did not close within %.0f s (is Kafka reachable?); exiting anyway", timeout)

    def _release(self) -> None:
        self._thread.join(10)
        connected, self._connected = self._connected, None
        if connected is None:
            return
        for follower in connected.followers:
            follower.close()
        connected.client.close()
        close_producer(connected.producer, 5)

    # -- what routes use ----------------------------------------------------------------------

    @property
    def caught_up(self) -> bool:
        """Connected, and job and model state has been read to the end the topics had at start."""
        connected = self._connected
        return connected is not None and all(f.caught_up for f in connected.followers)

    def client(self) -> SpindriftClient:
        """The scoring client; :class:`KafkaUnavailable` until connected or when Kafka stops answering."""
        return self._require().client

    def producer(self) -> Producer:
        """The producer used for job requests and registry events."""
        return self._require().producer

    def require_state(self) -> None:
        """Raise :class:`KafkaUnavailable` until the job and model state has caught up with Kafka."""
        self._require()
        if not self.caught_up:
            raise KafkaUnavailable("the gateway is still reading job and model state from Kafka; retry in a moment")

    def readiness(self) -> ProbeResult:
        """Kafka reachable and scorers alive, cached for about a second."""
        return self.probe.check()

    def _require(self) -> _Connected:
        connected = self._connected
        if connected is None:
            raise KafkaUnavailable(f"Kafka at {self.kafka.bootstrap_servers} is not reachable: {self._last_error}")
        probe = self.probe.check()
        if not probe.kafka_ok:
            raise KafkaUnavailable(probe.message)
        return connected

    # -- connecting -----------------------------------------------------------------------------

    def _connect_until_done(self) -> None:
        while not self._stop.is_set():
            try:
                self._connected = self._connect()
                log.info(
                    "connected to Kafka at %s; replies on %s",
                    self.kafka.bootstrap_servers,
                    self._connected.client.reply_topic,
                )
                for follower in self._connected.followers:
                    follower.wait_caught_up(60)
                return
            except Exception as exc:  # keep trying: Kafka may still be starting
                self._last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                log.warning(
                    "cannot connect to Kafka at %s yet (%s); retrying in %.0f s",
                    self.kafka.bootstrap_servers,
                    self._last_error,
                    self.settings.connect_retry_s,
                )
                self._stop.wait(self.settings.connect_retry_s)

    def _connect(self) -> _Connected:
        wait_for_cluster(self.kafka, timeout_s=max(5.0, self.settings.connect_retry_s))
        wanted = {TRAIN_REQUESTS, TRAIN_EVENTS, MODEL_EVENTS, self.settings.requests_topic}
        specs = [t for t in standard_topics(self.kafka) if t.name in wanted]
        if self.settings.requests_topic not in {t.name for t in specs}:  # a tenant's or a test's own topic
            specs.append(TopicSpec(self.settings.requests_topic, self.kafka.score_partitions))
        ensure_topics(self.kafka, specs)
        producer = make_producer(self.kafka, client_id=f"{self.kafka.client_id}-gateway")
        followers: list[TopicFollower] = []
        try:
            client = SpindriftClient(self.kafka, self.settings.reply_topic, requests_topic=self.settings.requests_topic)
            try:
                followers.append(TopicFollower(self.kafka, TRAIN_EVENTS, self.jobs.apply_record).start())
                followers.append(TopicFollower(self.kafka, MODEL_EVENTS, self.models.apply_record).start())
            except BaseException:
                client.close()
                raise
        except BaseException:
            for follower in followers:
                follower.close()
            close_producer(producer, 1)
            raise
        return _Connected(client, producer, followers)
