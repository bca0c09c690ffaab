"""Join a consumer group only once the topics' partitions are known, so the first assignment is complete.

A consumer that joins before its metadata lists a topic's partitions is assigned nothing for
that topic (kafka-python's assignor logs "No partition metadata for topic"). The metadata that
arrives a moment later forces a second rebalance at once, and under kafka-python 3.0 that
second join was seen to hang: the member was evicted after its session timeout and never
rejoined, so its process served nothing for minutes (two CI runs failed on it). Fetching the
metadata first makes the first join the right one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from kafka import KafkaConsumer

__all__ = ["TopicNotFound", "subscribe_when_known"]

# How often to ask again for a topic created a moment ago (its metadata takes a few ms to spread).
_RETRY_S = 0.1


class TopicNotFound(RuntimeError):
    """A topic to consume has no partitions: it does not exist (topic auto-creation is off)."""


def subscribe_when_known(
    consumer: KafkaConsumer,
    topics: Sequence[str],
    listener: Any = None,
    *,
    timeout_s: float = 60.0,
    stop: threading.Event | None = None,
) -> None:
    """Subscribe ``consumer`` to ``topics`` once every topic's partitions are in its metadata.

    Raises :class:`TopicNotFound`, naming the topics, when they are still unknown after
    ``timeout_s`` (or when ``stop`` is set first).
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout_s
    missing = list(topics)
    while True:
        missing = [topic for topic in missing if not consumer.partitions_for_topic(topic)]
        if not missing:
            break
        if time.monotonic() >= deadline or stop.is_set():
            raise TopicNotFound(
                f"topic(s) {', '.join(missing)} not found after {timeout_s:g} s; create them first "
                "(spindrift.kafka.topics.ensure_topics) or check KAFKA_BOOTSTRAP_SERVERS"
            )
        stop.wait(_RETRY_S)
    if listener is None:
        consumer.subscribe(list(topics))
    else:
        consumer.subscribe(list(topics), listener=listener)
