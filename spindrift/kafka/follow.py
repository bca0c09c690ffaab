"""Follow a topic from the beginning and keep following: one thread, one callback per record.

    follower = TopicFollower(settings, "train.events", on_record=board.apply)
    follower.start()
    follower.wait_caught_up(30)     # everything that was on the topic at start has been handed over
    ...
    follower.close()

The consumer is *assigned* every partition (no consumer group: every reader needs every
record) and starts at the earliest offset. "Caught up" means every partition reached the end
it had when the follower started (librdkafka's partition-EOF event), so a reader that waits
for it never answers from a half-read history. Callbacks run on the follower thread; one that
raises is logged and the record skipped, the follower goes on. Records without a value are skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from spindrift.kafka.group import partitions_when_known
from spindrift.kafka.records import Record, from_confluent
from spindrift.kafka.settings import KafkaSettings, make_fast_consumer

__all__ = ["OnRecord", "TopicFollower"]

log = logging.getLogger(__name__)

OnRecord = Callable[[Record], None]

# How long one poll blocks: bounds how late close() is noticed.
_POLL_S = 0.2
_BATCH = 500


class TopicFollower:
    """Reads ``topic`` from its first offset, then every new record, on a daemon thread."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        on_record: OnRecord,
        *,
        metadata_timeout_s: float = 30.0,
    ) -> None:
        self.topic = topic
        self._settings = settings
        self._on_record = on_record
        self._metadata_timeout_s = metadata_timeout_s
        self._caught_up = threading.Event()
        self._closed = threading.Event()
        self._consumer: Consumer | None = None
        self._thread: threading.Thread | None = None
        self.records_seen = 0
        """Records handed to the callback so far."""

    def start(self) -> TopicFollower:
        """Assign every partition from the beginning and start the thread; ``TopicNotFound`` if the topic is missing."""
        consumer = make_fast_consumer(
            self._settings,
            overrides={"enable.partition.eof": True},
            client_id=f"{self._settings.client_id}-follow-{self.topic}",
        )
        try:
            ids = partitions_when_known(consumer, self.topic, timeout_s=self._metadata_timeout_s)
            consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in ids])
        except BaseException:
            consumer.close()
            raise
        self._consumer = consumer
        self._pending_eof = set(ids)
        self._thread = threading.Thread(target=self._run, name=f"follow-{self.topic}", daemon=True)
        self._thread.start()
        return self

    @property
    def caught_up(self) -> bool:
        """True once everything that was on the topic at start has been handed to the callback."""
        return self._caught_up.is_set()

    def wait_caught_up(self, timeout: float) -> bool:
        """Block until :attr:`caught_up` (True) or ``timeout`` seconds pass (False)."""
        return self._caught_up.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and release the consumer; safe to call twice."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout)
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()

    def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._closed.is_set():
            try:
                first = consumer.poll(_POLL_S)
                messages = [first, *consumer.consume(_BATCH, 0)] if first is not None else []
            except Exception:  # a closed consumer or a broker hiccup: the next poll retries
                if self._closed.is_set():
                    return
                log.exception("polling %s failed", self.topic)
                self._closed.wait(0.5)  # back off before retrying a failing poll
                continue
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        self._reached_end(message.partition() or 0)
                    else:
                        log.warning("reading %s: %s", self.topic, error)
                    continue
                self._hand_over(from_confluent(message))

    def _reached_end(self, partition: int) -> None:
        self._pending_eof.discard(partition)
        if not self._pending_eof and not self._caught_up.is_set():
            log.info("caught up with %s after %d records", self.topic, self.records_seen)
            self._caught_up.set()

    def _hand_over(self, record: Record) -> None:
        if record.value is None:
            return
        try:
            self._on_record(record)
        except Exception:  # one bad record must not stop the follower
            log.exception("handling %s failed; skipped", record.coordinates)
        self.records_seen += 1
