"""Write a record and, when it matters, wait for Kafka's acknowledgement of it.

librdkafka's ``produce()`` only queues a record; its delivery report arrives later through a
callback served by ``poll()`` / ``flush()``. Spindrift's own writes (job events, train requests,
registry events and artifact chunks, dead letters) often must know that a record is stored
before going on — a QUEUED event before its request, every chunk before the PUBLISHED event —
so :func:`send` returns a :class:`Delivery` whose :meth:`~Delivery.wait` blocks until the report
for *that* record arrived, serving callbacks meanwhile. Waiting never flushes other threads'
records: a job's progress thread and its job thread share one producer.

    delivery = send(producer, "train.events", value, key=b"job-1")
    delivery.wait(producer, 30)            # DeliveryFailed if refused or not acknowledged in time
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

__all__ = ["Delivery", "DeliveryFailed", "send", "wait_all"]

# How long one wait for delivery reports blocks before checking the deadline again.
_POLL_S = 0.05

Headers = Sequence[tuple[str, bytes | None]]


class DeliveryFailed(RuntimeError):
    """Kafka refused a record or did not acknowledge it in time (the broker, the topic, the record's size...)."""


class Delivery:
    """The delivery report of one record: where it was stored, or why not."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.partition: int | None = None
        self.offset: int | None = None
        self.error: KafkaError | None = None
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        """True once the report arrived (acknowledged or failed)."""
        return self._done.is_set()

    def report(self, error: KafkaError | None, message: Any) -> None:
        """The producer's ``on_delivery`` callback."""
        self.error = error
        if error is None:
            self.partition, self.offset = message.partition(), message.offset()
        self._done.set()

    def wait(self, producer: Producer, timeout_s: float) -> Delivery:
        """Serve delivery callbacks until this record's report arrives; returns self or raises :class:`DeliveryFailed`."""
        deadline = time.monotonic() + timeout_s
        while not self._done.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeliveryFailed(
                    f"Kafka did not acknowledge a record for {self.topic} within {timeout_s:g} s; "
                    "is the broker reachable (KAFKA_BOOTSTRAP_SERVERS) and does the topic exist?"
                )
            producer.poll(min(_POLL_S, remaining))
        if self.error is not None:
            raise DeliveryFailed(f"Kafka refused a record for {self.topic}: {self.error.str()}")
        return self


def send(
    producer: Producer,
    topic: str,
    value: bytes | None,
    *,
    key: bytes | None = None,
    headers: Headers | None = None,
    partition: int | None = None,
    timeout_s: float = 30.0,
) -> Delivery:
    """Queue one record; returns its :class:`Delivery` (call ``wait`` to know it is stored).

    A full local queue is waited out (serving callbacks) for up to ``timeout_s``; a record
    librdkafka refuses at once (e.g. larger than ``message.max.bytes``) raises :class:`DeliveryFailed`.
    """
    delivery = Delivery(topic)
    kwargs: dict[str, Any] = {"key": key, "value": value, "on_delivery": delivery.report}
    if headers:
        kwargs["headers"] = list(headers)
    if partition is not None:
        kwargs["partition"] = partition
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            producer.produce(topic, **kwargs)
            break
        except BufferError:  # the local queue is full: let deliveries drain it, then try again
            if time.monotonic() >= deadline:
                raise DeliveryFailed(
                    f"the producer's queue stayed full for {timeout_s:g} s while writing to {topic}"
                ) from None
            producer.poll(_POLL_S)
        except KafkaException as exc:
            raise DeliveryFailed(f"Kafka refused a record for {topic}: {exc}") from exc
    producer.poll(0)  # serve reports that are already in, so callbacks never pile up
    return delivery


def wait_all(producer: Producer, deliveries: Iterable[Delivery], timeout_s: float) -> None:
    """Wait for every delivery (one deadline for all); :class:`DeliveryFailed` names the first failure."""
    deadline = time.monotonic() + timeout_s
    for delivery in deliveries:
        delivery.wait(producer, max(0.0, deadline - time.monotonic()))
