"""Read a topic once from the beginning up to the end offsets seen at the start (no consumer group)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from spindrift import wire
from spindrift.kafka.settings import KafkaSettings, make_consumer
from spindrift.kafka.topics import MODEL_EVENTS, TopicError

__all__ = ["assign_from_beginning", "read_events"]

log = logging.getLogger(__name__)


def assign_from_beginning(consumer: KafkaConsumer, topics: list[str], timeout_s: float) -> dict[TopicPartition, int]:
    """Assign every partition of ``topics``, seek to the beginning; returns the end offsets at this moment."""
    deadline = time.monotonic() + timeout_s
    partitions: list[TopicPartition] = []
    for topic in topics:
        ids = consumer.partitions_for_topic(topic)
        while not ids and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for metadata of a just-created topic
            ids = consumer.partitions_for_topic(topic)
        if not ids:
            raise TopicError(f"topic {topic!r} has no partitions (does it exist? run ensure_topics)")
        partitions += [TopicPartition(topic, p) for p in sorted(ids)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    return dict(consumer.end_offsets(partitions))


def read_events(
    settings: KafkaSettings, topic: str = MODEL_EVENTS, timeout_s: float = 30.0
) -> Iterator[dict[str, Any]]:
    """Decoded ``ModelEvent`` records of ``topic`` from the beginning to its current end (undecodable ones logged, skipped)."""
    from spindrift.kafka.topics import TopicSpec, ensure_topics, standard_topics

    spec = next((s for s in standard_topics(settings) if s.name == topic), TopicSpec(topic))
    ensure_topics(settings, [spec])
    consumer = make_consumer(settings)
    try:
        ends = assign_from_beginning(consumer, [topic], timeout_s)
        deadline = time.monotonic() + timeout_s
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} did not reach its end within {timeout_s:.0f} s")
            for tp, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    try:
                        _name, event = wire.decode(record.value, record.headers, expected="ModelEvent")
                    except wire.WireError as exc:
                        log.error(
                            "skipping undecodable record %s@%d of %s: %s", tp.partition, record.offset, topic, exc
                        )
                        continue
                    yield event
            pending = {tp for tp in pending if consumer.position(tp) < ends[tp]}
    finally:
        consumer.close()
