"""Reading topics without a group, and acknowledged sends, on a real broker (spindrift.kafka.reading / produce)."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import TopicPartition

from spindrift.kafka.group import TopicNotFound
from spindrift.kafka.produce import DeliveryFailed, send, wait_all
from spindrift.kafka.reading import OFFSET_COMMITTED, PartitionReader, read_to_end
from spindrift.kafka.settings import KafkaSettings, close_producer, make_consumer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.kafka


def _write(settings: KafkaSettings, topic: str, values: list[tuple[int, bytes]]) -> None:
    producer = make_producer(settings)
    try:
        wait_all(producer, [send(producer, topic, value, partition=p) for p, value in values], 30)
    finally:
        close_producer(producer, 5)


def test_read_to_end_returns_every_record_written_before_it_and_stops(kafka_settings: KafkaSettings) -> None:
    topic = f"test.read.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 3)])  # partition 2 stays empty
    written = [(i % 2, f"v{i}".encode()) for i in range(7)]
    _write(kafka_settings, topic, written)

    started = time.monotonic()
    records = list(read_to_end(kafka_settings, topic, timeout_s=30))
    assert sorted(r.value or b"" for r in records) == sorted(v for _p, v in written)
    assert {(r.partition, r.offset) for r in records} == {(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2)}
    assert time.monotonic() - started < 20, "an empty partition must not hold the read up"


def test_an_empty_topic_reads_as_nothing_at_once(kafka_settings: KafkaSettings) -> None:
    topic = f"test.read.empty.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 2)])
    started = time.monotonic()
    assert list(read_to_end(kafka_settings, topic, timeout_s=30)) == []
    assert time.monotonic() - started < 10


def test_a_kept_reader_returns_only_what_was_written_since_its_last_read(kafka_settings: KafkaSettings) -> None:
    topic = f"test.read.again.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 1)])
    _write(kafka_settings, topic, [(0, b"a"), (0, b"b")])
    with PartitionReader(kafka_settings, [topic]) as reader:
        assert [r.value for r in reader.read_to_end(30)] == [b"a", b"b"]
        assert list(reader.read_to_end(30)) == []
        _write(kafka_settings, topic, [(0, b"c")])
        assert [r.value for r in reader.read_to_end(30)] == [b"c"]


def test_a_reader_can_start_at_a_groups_committed_offsets_without_committing(kafka_settings: KafkaSettings) -> None:
    topic = f"test.read.committed.{uuid.uuid4().hex[:8]}"
    group = f"g-{topic}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 2)])
    _write(kafka_settings, topic, [(0, b"p0-0"), (0, b"p0-1"), (0, b"p0-2"), (1, b"p1-0")])
    committer = make_consumer(kafka_settings, group_id=group)
    committer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    committer.close()

    with PartitionReader(kafka_settings, [topic], start=OFFSET_COMMITTED, group_id=group) as reader:
        # Partition 0 from its committed offset; partition 1 (nothing committed) from the earliest.
        assert sorted(r.value or b"" for r in reader.read_to_end(30)) == [b"p0-2", b"p1-0"]
    checker = make_consumer(kafka_settings, group_id=group)
    try:
        committed = checker.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
        assert [tp.offset for tp in committed] == [2, -1001], "the reader must not commit for the group"
    finally:
        checker.close()


def test_a_missing_topic_is_named(kafka_settings: KafkaSettings) -> None:
    missing = f"test.read.missing.{uuid.uuid4().hex[:8]}"
    with pytest.raises(TopicNotFound, match=missing):
        list(read_to_end(kafka_settings, missing, timeout_s=1.0))


def test_a_send_waits_for_its_acknowledgement_and_reports_where_it_was_stored(kafka_settings: KafkaSettings) -> None:
    topic = f"test.send.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 2)])
    producer = make_producer(kafka_settings)
    try:
        first = send(producer, topic, b"x", key=b"k", partition=1).wait(producer, 30)
        second = send(producer, topic, b"y", key=b"k", partition=1).wait(producer, 30)
        assert (first.partition, first.offset, second.offset) == (1, 0, 1)
        too_big = b"z" * 2_000_000  # over librdkafka's default message.max.bytes (1,000,000)
        with pytest.raises(DeliveryFailed, match=topic):
            send(producer, topic, too_big).wait(producer, 30)
    finally:
        close_producer(producer, 5)
