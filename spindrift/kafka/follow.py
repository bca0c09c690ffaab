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

from spindrift.kafka.reading import PartitionReader
from spindrift.kafka.records import Record
from spindrift.kafka.settings import KafkaSettings

__all__ = ["OnRecord", "TopicFollower"]

log = logging.getLogger(__name__)

OnRecord = Callable[[Record], None]

# How long one poll blocks: bounds how late close() is noticed.
_POLL_S = 0.2


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
        self._reader: PartitionReader | None = None
        self._targets: dict[tuple[str, int], int] = {}
        self._thread: threading.Thread | None = None
        self.records_seen = 0
        """Records handed to the callback so far."""

    def start(self) -> TopicFollower:
        """Assign every partition from the beginning and start the thread; ``TopicNotFound`` if the topic is missing."""
        reader = PartitionReader(
            self._settings,
            [self.topic],
            timeout_s=self._metadata_timeout_s,
            client_id=f"{self._settings.client_id}-follow-{self.topic}",
        )
        try:
            self._targets = reader.end_offsets(self._metadata_timeout_s)
        except BaseException:
            reader.close()
            raise
        self._reader = reader
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
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def _run(self) -> None:
        reader = self._reader
        assert reader is not None
        while not self._closed.is_set():
            if not self._caught_up.is_set() and reader.reached(self._targets):
                log.info("caught up with %s after %d records", self.topic, self.records_seen)
                self._caught_up.set()
            try:
                records = reader.poll(_POLL_S)
            except Exception:  # a closed consumer or a broker hiccup: the next poll retries
                if self._closed.is_set():
                    return
                log.exception("polling %s failed", self.topic)
                self._closed.wait(0.5)  # back off before retrying a failing poll
                continue
            for record in records:
                self._hand_over(record)

    def _hand_over(self, record: Record) -> None:
        if record.value is None:
            return
        try:
            self._on_record(record)
        except Exception:  # one bad record must not stop the follower
            log.exception("handling %s failed; skipped", record.coordinates)
        self.records_seen += 1
