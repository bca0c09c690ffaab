"""Join a consumer group only once the topics' partitions are known, so the first assignment is complete.

A consumer that joins before its metadata lists a topic's partitions is assigned nothing for
that topic. The metadata that arrives a moment later forces a second rebalance at once; under
kafka-python 3.0 (the trainer's client until it moved to librdkafka) that second join was seen
to hang: the member was evicted after its session timeout and never rejoined. librdkafka copes
better, but the rule is kept: a missing topic is then a named error at start-up rather than a
member that silently owns nothing.

:func:`partitions_when_known` is the one "wait until the cluster lists this topic's partitions"
of Spindrift: group members (:func:`subscribe_when_known`) and group-less readers
(:class:`spindrift.kafka.reading.PartitionReader`) both wait with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaException

__all__ = ["TopicNotFound", "partitions_when_known", "subscribe_when_known"]

# How often to ask again for a topic created a moment ago (its metadata takes a few ms to spread).
_RETRY_S = 0.1


class TopicNotFound(RuntimeError):
    """A topic to consume has no partitions: it does not exist (topic auto-creation is off)."""


def subscribe_when_known(
    consumer: Consumer,
    topics: Sequence[str],
    *,
    on_assign: Callable[[Any, list[Any]], None] | None = None,
    on_revoke: Callable[[Any, list[Any]], None] | None = None,
    timeout_s: float = 60.0,
    stop: threading.Event | None = None,
) -> None:
    """Subscribe ``consumer`` to ``topics`` once the cluster lists their partitions.

    The rebalance callbacks run inside ``poll()`` / ``consume()`` on the caller's thread. Raises
    :class:`TopicNotFound`, naming the topics, when they are still unknown after ``timeout_s``
    (or when ``stop`` is set first).
    """
    _wait_for_partitions(lambda topic: bool(_listed_partitions(consumer, topic, timeout_s)), topics, timeout_s, stop)
    callbacks: dict[str, Any] = {}
    if on_assign is not None:
        callbacks["on_assign"] = on_assign
    if on_revoke is not None:
        callbacks["on_revoke"] = on_revoke
    consumer.subscribe(list(topics), **callbacks)


def partitions_when_known(consumer: Consumer, topic: str, *, timeout_s: float = 60.0) -> list[int]:
    """The partition ids of ``topic`` once the cluster lists them (e.g. a topic created a moment ago).

    Raises :class:`TopicNotFound` when the topic is still unknown after ``timeout_s``.
    """
    found: list[int] = []

    def known(name: str) -> bool:
        found[:] = _listed_partitions(consumer, name, timeout_s)
        return bool(found)

    _wait_for_partitions(known, [topic], timeout_s, None)
    return found


def _listed_partitions(consumer: Consumer, topic: str, timeout_s: float) -> list[int]:
    """One metadata lookup: ``topic``'s partition ids, or [] while the cluster does not list it."""
    try:
        metadata = consumer.list_topics(topic, timeout=min(5.0, max(0.1, timeout_s)))
    except KafkaException:  # no broker answered in time: the caller asks again until its deadline
        return []
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        return []
    return sorted(found.partitions)


def _wait_for_partitions(
    known: Callable[[str], bool], topics: Sequence[str], timeout_s: float, stop: threading.Event | None
) -> None:
    """Return once ``known(topic)`` holds for every topic; :class:`TopicNotFound` at the deadline or on ``stop``."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout_s
    missing = list(topics)
    while True:
        missing = [topic for topic in missing if not known(topic)]
        if not missing:
            return
        if time.monotonic() >= deadline or stop.is_set():
            raise TopicNotFound(
                f"topic(s) {', '.join(missing)} not found after {timeout_s:g} s; create them first "
                "(spindrift.kafka.topics.ensure_topics) or check KAFKA_BOOTSTRAP_SERVERS"
            )
        stop.wait(_RETRY_S)
