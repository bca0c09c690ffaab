"""Consumer-group lag per topic partition, published as the gauge ``spindrift_kafka_consumer_lag``.

A :class:`LagMonitor` thread asks the cluster every few seconds for a group's committed offsets
and the partitions' end offsets; lag is end minus committed (minus the first offset still on
the log when the group has committed nothing, which is where a new group starts). Every member
of a group reports the whole group's lag, so dashboards take ``max by (group, topic, partition)``.
The labels are bounded: one series per group, topic and partition the service consumes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from confluent_kafka import Consumer, TopicPartition
from prometheus_client import Gauge

from spindrift.kafka.settings import KafkaSettings, make_consumer

__all__ = ["CONSUMER_LAG", "LagMonitor"]

log = logging.getLogger(__name__)

CONSUMER_LAG = Gauge(
    "spindrift_kafka_consumer_lag",
    "Records on a partition that the consumer group has not committed yet (end offset minus committed offset).",
    ["group", "topic", "partition"],
)


class LagMonitor:
    """Refreshes ``spindrift_kafka_consumer_lag`` for one group and its topics in a daemon thread."""

    def __init__(self, settings: KafkaSettings, group: str, topics: Sequence[str], *, interval_s: float = 5.0) -> None:
        self._settings = settings
        self._group = group
        self._topics = list(topics)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lag-{group}", daemon=True)

    def start(self) -> LagMonitor:
        """Start refreshing in the background; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop refreshing (the last values stay on the gauge)."""
        self._stop.set()
        self._thread.join(timeout=self._interval_s + 5)

    def _run(self) -> None:
        # One consumer for the thread's life (librdkafka reconnects by itself). It carries the
        # group's id to read its committed offsets, but never subscribes: it is not a member.
        consumer = make_consumer(self._settings, group_id=self._group, client_id=f"{self._settings.client_id}-lag")
        last_problem = ""
        try:
            while not self._stop.is_set():
                try:
                    self.publish(self.measure(consumer))
                    last_problem = ""
                except Exception as exc:  # the broker may be restarting: keep the last values and retry
                    if str(exc) != last_problem:  # once per new problem, not every few seconds
                        log.warning("consumer lag of group %s not measured (retrying): %s", self._group, exc)
                    last_problem = str(exc)
                self._stop.wait(self._interval_s)
        finally:
            consumer.close()

    def measure(self, consumer: Consumer, timeout_s: float = 10.0) -> dict[tuple[str, int], int]:
        """Lag of every ``(topic, partition)`` of the monitored topics.

        ``consumer`` must carry the monitored group's id (``make_consumer(settings, group_id=group)``)
        and must not be subscribed. (The admin client's ``list_consumer_group_offsets`` would do,
        but confluent-kafka 2.16 was seen to crash the process in it on a fresh broker.)
        """
        partitions: list[TopicPartition] = []
        for topic in self._topics:
            listed = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
            if listed is not None and listed.error is None:
                partitions += [TopicPartition(topic, p) for p in sorted(listed.partitions)]
        if not partitions:
            return {}
        committed = {
            (tp.topic, tp.partition): tp.offset
            for tp in consumer.committed(partitions, timeout=timeout_s)
            if tp.error is None and tp.offset >= 0
        }
        lags: dict[tuple[str, int], int] = {}
        for tp in partitions:
            low, high = consumer.get_watermark_offsets(tp, timeout=timeout_s, cached=False)
            # A group that committed nothing starts at the first offset still on the log.
            lags[(tp.topic, tp.partition)] = max(0, high - committed.get((tp.topic, tp.partition), low))
        return lags

    def publish(self, lags: dict[tuple[str, int], int]) -> None:
        """Set the gauge for every measured partition."""
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self._group, topic, str(partition)).set(lag)
