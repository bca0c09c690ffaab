"""Kafka header names and helpers, following Spring Kafka so Java clients interoperate unchanged.

Header values are bytes. Spring's ``ReplyingKafkaTemplate`` sends ``kafka_replyTopic`` (UTF-8)
and ``kafka_correlationId`` (opaque bytes, echoed back as is). Its ``DeadLetterPublishingRecoverer``
writes the original partition as a 4-byte and the offset as an 8-byte big-endian integer; we
write and read them the same way.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

__all__ = [
    "CONTENT_TYPE",
    "CORRELATION_ID",
    "DLT_EXCEPTION_FQCN",
    "DLT_EXCEPTION_MESSAGE",
    "DLT_ORIGINAL_OFFSET",
    "DLT_ORIGINAL_PARTITION",
    "DLT_ORIGINAL_TOPIC",
    "JSON_CONTENT_TYPE",
    "REPLY_PARTITION",
    "REPLY_TOPIC",
    "Headers",
    "NullableHeaders",
    "DeadLetterInfo",
    "dlq_headers",
    "get_header",
    "get_header_int",
    "get_header_str",
    "read_dlq_headers",
    "set_header",
]

REPLY_TOPIC = "kafka_replyTopic"
REPLY_PARTITION = "kafka_replyPartition"  # Spring: a 4-byte big-endian int; the reply goes to that partition
CORRELATION_ID = "kafka_correlationId"
CONTENT_TYPE = "content-type"
JSON_CONTENT_TYPE = "application/json"

DLT_EXCEPTION_MESSAGE = "kafka_dlt-exception-message"
DLT_EXCEPTION_FQCN = "kafka_dlt-exception-fqcn"
DLT_ORIGINAL_TOPIC = "kafka_dlt-original-topic"
DLT_ORIGINAL_PARTITION = "kafka_dlt-original-partition"
DLT_ORIGINAL_OFFSET = "kafka_dlt-original-offset"

# kafka-python's form: a list of (name, value) pairs; a name may repeat.
Headers = list[tuple[str, bytes]]
# Headers as consumed: Kafka allows a null value, which confluent-kafka passes on as None.
NullableHeaders = list[tuple[str, bytes | None]]


def get_header(headers: Sequence[tuple[str, bytes | None]] | None, name: str) -> bytes | None:
    """The value of the last header called ``name`` (Kafka allows repeats; the last one wins), or None."""
    value: bytes | None = None
    for key, raw in headers or ():
        if key == name:
            value = raw
    return value


def get_header_str(headers: Sequence[tuple[str, bytes | None]] | None, name: str) -> str | None:
    """A header decoded as UTF-8 (invalid bytes replaced), or None when absent."""
    raw = get_header(headers, name)
    return None if raw is None else raw.decode("utf-8", errors="replace")


def get_header_int(headers: Sequence[tuple[str, bytes | None]] | None, name: str) -> int | None:
    """A header holding a 4-byte big-endian int (Spring's ``kafka_replyPartition``), or None if absent or malformed."""
    raw = get_header(headers, name)
    if raw is None or len(raw) != 4:
        return None
    return int(struct.unpack(">i", raw)[0])


def set_header(headers: Iterable[tuple[str, bytes]] | None, name: str, value: str | bytes) -> Headers:
    """A new header list with ``name`` set to ``value`` (str is UTF-8 encoded), replacing earlier values."""
    encoded = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return [(k, v) for k, v in (headers or ()) if k != name] + [(name, encoded)]


def dlq_headers(
    error: BaseException | str,
    *,
    topic: str,
    partition: int,
    offset: int,
    original: Iterable[tuple[str, bytes | None]] | None = None,
) -> NullableHeaders:
    """Headers for a dead-letter record: the original headers (null values kept) plus Spring's ``kafka_dlt-*`` ones."""
    if isinstance(error, BaseException):
        message = str(error) or type(error).__name__
        fqcn = f"{type(error).__module__}.{type(error).__qualname__}"
    else:
        message, fqcn = error, "builtins.str"
    headers: NullableHeaders = [(k, v) for k, v in (original or ()) if not k.startswith("kafka_dlt-")]
    headers += [
        (DLT_EXCEPTION_MESSAGE, message.encode("utf-8")),
        (DLT_EXCEPTION_FQCN, fqcn.encode("utf-8")),
        (DLT_ORIGINAL_TOPIC, topic.encode("utf-8")),
        (DLT_ORIGINAL_PARTITION, struct.pack(">i", partition)),
        (DLT_ORIGINAL_OFFSET, struct.pack(">q", offset)),
    ]
    return headers


class DeadLetterInfo:
    """What a DLQ record's headers say about where it came from and why it failed."""

    __slots__ = ("message", "exception", "topic", "partition", "offset")

    def __init__(self, message: str, exception: str, topic: str, partition: int | None, offset: int | None) -> None:
        self.message = message
        self.exception = exception
        self.topic = topic
        self.partition = partition
        self.offset = offset

    def __repr__(self) -> str:
        return (
            f"DeadLetterInfo(topic={self.topic!r}, partition={self.partition}, offset={self.offset}, "
            f"exception={self.exception!r}, message={self.message!r})"
        )


def read_dlq_headers(headers: Sequence[tuple[str, bytes | None]] | None) -> DeadLetterInfo:
    """Parse Spring-style ``kafka_dlt-*`` headers (missing ones come back empty or None)."""

    def as_int(raw: bytes | None) -> int | None:
        if raw is None:
            return None
        if len(raw) == 4:
            return int(struct.unpack(">i", raw)[0])
        if len(raw) == 8:
            return int(struct.unpack(">q", raw)[0])
        # Tolerate producers that wrote the number as text.
        try:
            return int(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return None

    return DeadLetterInfo(
        message=get_header_str(headers, DLT_EXCEPTION_MESSAGE) or "",
        exception=get_header_str(headers, DLT_EXCEPTION_FQCN) or "",
        topic=get_header_str(headers, DLT_ORIGINAL_TOPIC) or "",
        partition=as_int(get_header(headers, DLT_ORIGINAL_PARTITION)),
        offset=as_int(get_header(headers, DLT_ORIGINAL_OFFSET)),
    )
