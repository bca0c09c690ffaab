"""Joining a consumer group on a real broker: the first assignment is complete; a missing topic is named."""

from __future__ import annotations

import time
import uuid

import pytest

from spindrift.kafka.group import TopicNotFound, subscribe_when_known
from spindrift.kafka.settings import KafkaSettings, make_consumer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from tests.waiting import wait_until

pytestmark = pytest.mark.kafka


def first_assignment(kafka_settings: KafkaSettings, topic: str, strategy: str) -> set[int]:
    """Subscribe a fresh group member to ``topic`` and return the first assignment it is handed."""
    overrides = {"session.timeout.ms": 6000, "partition.assignment.strategy": strategy}
    consumer = make_consumer(kafka_settings, group_id=f"g-{topic}", overrides=overrides)
    history: list[set[int]] = []
    try:
        subscribe_when_known(
            consumer, [topic], on_assign=lambda _c, parts: history.append({tp.partition for tp in parts}), timeout_s=30
        )
        assert wait_until(lambda: (consumer.poll(0.05), bool(history))[1], 30)
        return history[0]
    finally:
        consumer.close()


@pytest.mark.parametrize("strategy", ["range,roundrobin", "cooperative-sticky"])
def test_a_consumer_subscribing_right_after_topic_creation_gets_every_partition_at_its_first_join(
    kafka_settings: KafkaSettings, strategy: str
) -> None:
    # The race this guards against: a fresh consumer's metadata lists no topics, so joining at once
    # would be assigned nothing first and need a second rebalance (cooperative-sticky is the trainer's).
    for _ in range(3):
        topic = f"test.join.{uuid.uuid4().hex[:8]}"
        ensure_topics(kafka_settings, [TopicSpec(topic, 4)])
        assert first_assignment(kafka_settings, topic, strategy) == {0, 1, 2, 3}


def test_a_topic_that_does_not_exist_is_named_in_a_clear_error(kafka_settings: KafkaSettings) -> None:
    missing = f"test.missing.{uuid.uuid4().hex[:8]}"
    consumer = make_consumer(kafka_settings, group_id=f"g-{missing}")
    try:
        started = time.monotonic()
        with pytest.raises(TopicNotFound, match=missing):
            subscribe_when_known(consumer, [missing], timeout_s=1.0)
        assert time.monotonic() - started < 15
        assert consumer.assignment() == []
    finally:
        consumer.close()
