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

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from prometheus_client import Gauge

from spindrift.kafka.settings import KafkaSettings, make_admin, make_consumer

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
        admin: KafkaAdminClient | None = None
        consumer: KafkaConsumer | None = None
        last_problem = ""
        while not self._stop.is_set():
            try:
                if admin is None or consumer is None:
                    admin = make_admin(self._settings)
                    consumer = make_consumer(self._settings)
                self.publish(self.measure(admin, consumer))
                last_problem = ""
            except Exception as exc:  # the broker may be restarting: keep the last values and retry
                if str(exc) != last_problem:  # once per new problem, not every few seconds
                    log.warning("consumer lag of group %s not measured (retrying): %s", self._group, exc)
                last_problem = str(exc)
                for client in (admin, consumer):
                    if client is not None:
                        client.close()
                admin = consumer = None
            self._stop.wait(self._interval_s)
        for client in (admin, consumer):
            if client is not None:
                client.close()

    def measure(self, admin: KafkaAdminClient, consumer: KafkaConsumer) -> dict[TopicPartition, int]:
        """Lag of every partition of the monitored topics, from one admin and one group-less consumer."""
        offsets = admin.list_group_offsets({self._group: None}).get(self._group, {})
        committed = {tp: meta.offset for tp, meta in offsets.items() if meta.offset is not None and meta.offset >= 0}
        partitions = [
            TopicPartition(topic, p)
            for topic in self._topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets([tp for tp in partitions if tp not in committed])
        return {tp: max(0, ends[tp] - committed.get(tp, starts.get(tp, 0))) for tp in partitions}

    def publish(self, lags: dict[TopicPartition, int]) -> None:
        """Set the gauge for every measured partition."""
        for tp, lag in lags.items():
            CONSUMER_LAG.labels(self._group, tp.topic, str(tp.partition)).set(lag)
