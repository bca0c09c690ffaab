"""A consumed Kafka record, independent of the client library that fetched it.

Handlers (the scorer's request/reply and stream modes) only read a record's coordinates, key,
value and headers, so they take this small frozen type rather than kafka-python's
``ConsumerRecord`` or confluent-kafka's ``Message``; the loop that polls builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Record", "RecordHeaders", "from_confluent"]

# Header values may be None: Kafka allows a header with a null value, and librdkafka passes it on as None.
RecordHeaders = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed record: where it was read from, its key, value and headers (names may repeat)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: RecordHeaders = ()
    timestamp_ms: int | None = None
    """The record's timestamp (create or log-append time), None when the broker gave none."""

    @property
    def coordinates(self) -> str:
        """``topic-partition@offset``, for logs and default request ids."""
        return f"{self.topic}-{self.partition}@{self.offset}"


def from_confluent(message: Any) -> Record:
    """A :class:`Record` from a confluent-kafka ``Message`` (one without an error)."""
    raw_headers = message.headers()  # None, not [], when the record has no headers
    headers: RecordHeaders = tuple((str(k), _as_bytes(v)) for k, v in raw_headers) if raw_headers else ()
    topic = message.topic()
    partition = message.partition()
    offset = message.offset()
    if topic is None or partition is None or offset is None:
        raise ValueError("a consumed message always has a topic, partition and offset")
    return Record(
        topic=topic,
        partition=partition,
        offset=offset,
        key=_as_bytes(message.key()),
        value=_as_bytes(message.value()),
        headers=headers,
        timestamp_ms=_timestamp_ms(message.timestamp()),
    )


def _timestamp_ms(timestamp: tuple[int, int]) -> int | None:
    kind, value = timestamp  # kind 0 is TIMESTAMP_NOT_AVAILABLE
    return value if kind != 0 and value >= 0 else None


def _as_bytes(value: str | bytes | None) -> bytes | None:
    """Consumer payloads are bytes; a str only appears with a deserializer, which we never configure."""
    if value is None or isinstance(value, bytes):
        return value
    return value.encode("utf-8")
