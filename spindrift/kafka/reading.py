"""Read topics without a consumer group: from the start to their end offsets, or on and on.

Spindrift's state lives in topics that every reader reads whole (registry events and
artifacts, job events); the one way to do that is here.

    for record in read_to_end(settings, "model.events"):      # one pass, then the consumer is closed
        ...

    reader = PartitionReader(settings, ["train.events"])      # kept open: read what is new, again and again
    for record in reader.read_to_end(timeout_s=30): ...

A :class:`PartitionReader` is *assigned* every partition of its topics (no group: every reader
needs every record), from the first offset or from a group's committed offsets, once the
cluster lists the partitions (:func:`spindrift.kafka.group.partitions_when_known`). "The end"
is the end offset each partition had when the read began; a partition counts as read when the
reader got past it or librdkafka reported it reached the partition's end (which also covers a
compacted tail). Records are :class:`spindrift.kafka.records.Record`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

from spindrift.kafka.group import partitions_when_known
from spindrift.kafka.records import Record, from_confluent
from spindrift.kafka.settings import KafkaSettings, make_consumer

__all__ = ["OFFSET_BEGINNING", "OFFSET_COMMITTED", "PartitionReader", "read_to_end"]

log = logging.getLogger(__name__)

# librdkafka's logical offset "the group's committed offset" (auto.offset.reset=earliest when none).
OFFSET_COMMITTED = -1000
_POLL_S = 0.2
_BATCH = 500

Position = tuple[str, int]

# Answers of a broker whose partition leadership is still settling (a topic created a moment ago).
_LEADER_MOVING = frozenset(
    {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART}
)


class PartitionReader:
    """One group-less consumer assigned every partition of ``topics``; close it when done."""

    def __init__(
        self,
        settings: KafkaSettings,
        topics: Sequence[str],
        *,
        start: int = OFFSET_BEGINNING,
        group_id: str | None = None,
        timeout_s: float = 30.0,
        client_id: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        """Assign every partition of ``topics`` at ``start``; :class:`TopicNotFound` after ``timeout_s`` without them.

        ``start`` is :data:`OFFSET_BEGINNING` or :data:`OFFSET_COMMITTED` (the committed offsets of
        ``group_id``, which the reader reads but never joins nor commits to).
        """
        self.topics = list(topics)
        self._consumer = make_consumer(
            settings,
            group_id=group_id,
            overrides={"enable.partition.eof": True, **(overrides or {})},
            client_id=client_id or f"{settings.client_id}-read-{'-'.join(self.topics)}",
        )
        try:
            self.partitions: list[Position] = [
                (topic, p)
                for topic in self.topics
                for p in partitions_when_known(self._consumer, topic, timeout_s=timeout_s)
            ]
            self._consumer.assign([TopicPartition(t, p, start) for t, p in self.partitions])
        except BaseException:
            self._consumer.close()
            raise
        # End offsets are asked for on a connection of their own: a broker answers one request per
        # connection at a time, so on the reading consumer's connection the question would wait
        # behind its parked fetch (up to fetch.wait.max.ms, 0.5 s) whenever nothing new arrived.
        self._offsets = make_consumer(settings, client_id=f"{settings.client_id}-offsets-{'-'.join(self.topics)}")
        self._next: dict[Position, int] = {}  # the offset after the last record read
        self._eof_at: dict[Position, int] = {}  # where librdkafka last said "end of partition"
        self._last_error = ""

    def end_offsets(self, timeout_s: float = 10.0) -> dict[Position, int]:
        """Every partition's end offset now (the offset the next record written will get)."""
        deadline = time.monotonic() + timeout_s
        ends: dict[Position, int] = {}
        for topic, p in self.partitions:
            low, high = self._watermarks(TopicPartition(topic, p), deadline)
            ends[(topic, p)] = high
            if high <= low:  # empty (or emptied by retention): nothing to read up to
                self._eof_at[(topic, p)] = max(self._eof_at.get((topic, p), 0), high)
        return ends

    def _watermarks(self, partition: TopicPartition, deadline: float) -> tuple[int, int]:
        """``(low, high)`` of one partition, asking again while its leader is still being elected (a new topic)."""
        while True:
            remaining = deadline - time.monotonic()
            try:
                low, high = self._offsets.get_watermark_offsets(partition, timeout=max(0.1, remaining), cached=False)
                return int(low), int(high)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                retriable = isinstance(error, KafkaError) and (error.retriable() or error.code() in _LEADER_MOVING)
                if not retriable or time.monotonic() >= deadline:
                    raise
            time.sleep(0.05)  # a fresh topic's leader answers within moments

    def reached(self, ends: Mapping[Position, int]) -> bool:
        """True when every partition was read up to its offset in ``ends``."""
        return all(
            max(self._next.get(position, -1), self._eof_at.get(position, -1)) >= end for position, end in ends.items()
        )

    def poll(self, timeout_s: float = _POLL_S) -> list[Record]:
        """The records that arrive within ``timeout_s`` (maybe none); a fatal client error raises ``KafkaException``."""
        first = self._consumer.poll(timeout_s)
        if first is None:
            return []
        records: list[Record] = []
        for message in [first, *self._consumer.consume(_BATCH, 0)]:
            error = message.error()
            position = (message.topic() or "", message.partition() or 0)
            if error is None:
                record = from_confluent(message)
                self._next[position] = record.offset + 1
                records.append(record)
            elif error.code() == KafkaError._PARTITION_EOF:
                self._eof_at[position] = message.offset() or 0
            elif error.fatal():
                raise KafkaException(error)
            elif error.str() != self._last_error:  # transient (a broker restarting): librdkafka retries by itself
                self._last_error = error.str()
                log.warning("reading %s: %s", ", ".join(self.topics), self._last_error)
        return records

    def read_to_end(self, timeout_s: float = 30.0) -> Iterator[Record]:
        """Records from where the reader is up to (at least) the end offsets at this call.

        Raises ``TimeoutError`` when the end is not reached within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        ends = self.end_offsets(timeout_s)
        while not self.reached(ends):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"reading {', '.join(self.topics)} did not reach its end within {timeout_s:g} s; "
                    "is the broker reachable (KAFKA_BOOTSTRAP_SERVERS)?"
                )
            yield from self.poll()

    def close(self) -> None:
        """Release the consumers (they never committed anything)."""
        self._consumer.close()
        self._offsets.close()

    def __enter__(self) -> PartitionReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_to_end(
    settings: KafkaSettings,
    topic: str,
    *,
    timeout_s: float = 30.0,
    overrides: Mapping[str, Any] | None = None,
) -> Iterator[Record]:
    """Every record of ``topic`` from its first offset to (at least) its end offsets now, then the consumer is closed.

    Raises :class:`~spindrift.kafka.group.TopicNotFound` when the topic does not exist and
    ``TimeoutError`` when the end is not reached within ``timeout_s``.
    """
    with PartitionReader(settings, [topic], timeout_s=timeout_s, overrides=overrides) as reader:
        yield from reader.read_to_end(timeout_s)
