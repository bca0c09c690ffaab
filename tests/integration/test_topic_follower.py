"""TopicFollower on a real broker: reads from the beginning, says when it caught up, keeps following."""

from __future__ import annotations

import threading
import uuid

import pytest

from spindrift.kafka.follow import TopicFollower
from spindrift.kafka.group import TopicNotFound
from spindrift.kafka.records import Record
from spindrift.kafka.topics import TopicSpec, ensure_topics
from tests.kafka_user import user_producer
from tests.waiting import wait_until

pytestmark = pytest.mark.kafka


class Collected:
    """Values handed to the callback, from the follower thread."""

    def __init__(self) -> None:
        self.values: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, record: Record) -> None:
        if record.value == b"boom":
            raise ValueError("a callback that fails")
        with self._lock:
            self.values.append(record.value or b"")

    def snapshot(self) -> list[bytes]:
        with self._lock:
            return list(self.values)


def test_history_is_read_before_caught_up_and_new_records_follow(kafka_settings) -> None:
    topic = f"test.follow.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 2)])
    producer = user_producer(kafka_settings)
    try:
        for i in range(10):
            producer.send(topic, key=str(i % 3).encode(), value=f"old-{i}".encode(), partition=i % 2)
        producer.send(topic, value=b"boom", partition=0)  # a failing callback skips one record only
        producer.flush(30)
        collected = Collected()
        follower = TopicFollower(kafka_settings, topic, collected).start()
        try:
            assert follower.wait_caught_up(30)
            assert sorted(collected.snapshot()) == sorted(f"old-{i}".encode() for i in range(10))
            producer.send(topic, value=b"new", partition=1).get(30)
            assert wait_until(lambda: b"new" in collected.snapshot(), 30)
        finally:
            follower.close()
    finally:
        producer.close(5)


def test_an_empty_topic_is_caught_up_at_once(kafka_settings) -> None:
    topic = f"test.follow.empty.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [topic])
    follower = TopicFollower(kafka_settings, topic, Collected()).start()
    try:
        assert follower.wait_caught_up(30) and follower.records_seen == 0
    finally:
        follower.close()


def test_a_missing_topic_is_a_named_error(kafka_settings) -> None:
    topic = f"test.follow.missing.{uuid.uuid4().hex[:8]}"
    with pytest.raises(TopicNotFound, match=topic):
        TopicFollower(kafka_settings, topic, Collected(), metadata_timeout_s=1.0).start()
