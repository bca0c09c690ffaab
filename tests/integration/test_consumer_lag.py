"""LagMonitor against the real broker: lag is what the group has not committed, per partition."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import TopicPartition

from spindrift.kafka.lag import CONSUMER_LAG, LagMonitor
from spindrift.kafka.produce import send, wait_all
from spindrift.kafka.settings import KafkaSettings, close_producer, make_consumer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.kafka


def test_lag_is_end_offset_minus_committed_offset_per_partition(kafka_settings: KafkaSettings) -> None:
    topic = f"lag-{uuid.uuid4().hex[:8]}"
    group = f"lag-group-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 2)])
    producer = make_producer(kafka_settings)
    deliveries = [send(producer, topic, b"x", partition=0) for _ in range(5)]
    deliveries += [send(producer, topic, b"y", partition=1) for _ in range(3)]
    wait_all(producer, deliveries, 30)
    close_producer(producer, 5)
    committer = make_consumer(kafka_settings, group_id=group)
    committer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    committer.close()

    monitor = LagMonitor(kafka_settings, group, [topic])
    consumer = make_consumer(kafka_settings, group_id=group)
    try:
        lags = monitor.measure(consumer)
    finally:
        consumer.close()
    monitor.publish(lags)

    # Partition 0: 5 written, 2 committed; partition 1: nothing committed, so all 3 count.
    assert lags == {(topic, 0): 3, (topic, 1): 3}
    assert CONSUMER_LAG.labels(group, topic, "0")._value.get() == 3
