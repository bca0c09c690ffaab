"""The at-least-once consume → handle → produce → commit loop both scorer modes share.

A :class:`RecordHandler` turns polled records into items (``decode``) and a batch of items
into outgoing records (``handle``: replies, enriched events, dead letters). The loop sends
them and commits a batch's offsets only once the broker has acknowledged every record of
that batch and of the batches before it. Acknowledgements are pipelined: up to
``max_in_flight`` batches wait for theirs while the next ones are handled, so the ack round
trip does not cap throughput. When a send fails, nothing more is committed and the consumer
seeks back to the first unacknowledged offsets, so those batches are handled again (callers
de-duplicate by correlation id).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata

from spindrift.kafka import headers as kh
from spindrift.kafka.group import subscribe_when_known

from . import metrics
from .batcher import MicroBatcher

log = logging.getLogger(__name__)

Item = TypeVar("Item")

# How long one poll blocks while idle; bounds how quickly a stop request is noticed.
_IDLE_POLL_MS = 100.0


@dataclass(frozen=True)
class Outgoing:
    """A record to produce: where, with which key, value and headers, and the input it answers."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    source: ConsumerRecord | None = None
    """The consumed record this answers; it is dead-lettered if ``topic`` turns out not to exist."""


class MissingTopic(LookupError):
    """A reply or output topic the broker does not know (topic auto-creation is off)."""


def dead_letter(record: ConsumerRecord, error: BaseException, dlq_topic: str) -> Outgoing:
    """The DLQ record for ``record``: original key and bytes, original headers plus Spring's ``kafka_dlt-*``."""
    metrics.DLQ.labels(type(error).__name__).inc()
    headers = kh.dlq_headers(
        error, topic=record.topic, partition=record.partition, offset=record.offset, original=record.headers
    )
    return Outgoing(dlq_topic, record.value if record.value is not None else b"", record.key, tuple(headers))


@dataclass
class _InFlight:
    """A handled batch whose output awaits acknowledgement: where it started, where to commit to."""

    firsts: dict[TopicPartition, int]
    nexts: dict[TopicPartition, int]
    futures: list[Any] = field(default_factory=list)

    def acknowledged(self) -> bool:
        return all(f.is_done for f in self.futures)


class RecordHandler(Protocol[Item]):
    """What a scorer mode plugs into the loop."""

    def decode(self, record: ConsumerRecord) -> Item:
        """Turn one polled record into an item; must not raise (undecodable input is an item too)."""
        ...

    def rows_of(self, item: Item) -> int:
        """How many rows the item will cost to score (1 for items that are not scored)."""
        ...

    def handle(self, items: Sequence[Item]) -> list[Outgoing]:
        """Everything to produce for this batch of items (one data-plane call); must not raise."""
        ...


class _TrackAssignments(ConsumerRebalanceListener):
    """Log partition moves and remember the current assignment (shown on the status page).

    It commits nothing: kafka-python runs listeners on its IO thread, where a blocking commit
    is refused; every batch is already committed right after its replies are acknowledged.
    """

    def __init__(self, forget: Any) -> None:
        self.assigned: list[str] = []
        self._forget = forget

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.assigned = []
        self._forget(revoked)
        log.info("partitions revoked %s", _names(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.assigned = _names(assigned)
        log.info("assigned partitions %s", self.assigned)


def _names(partitions: Any) -> list[str]:
    return sorted(f"{tp.topic}-{tp.partition}" for tp in partitions)


class ConsumeProduceLoop(Generic[Item]):
    """Runs a handler over a subscribed consumer until ``stop`` is set, then commits and leaves the group."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        handler: RecordHandler[Item],
        *,
        topics: Sequence[str],
        dlq_topic: str,
        batching: bool,
        max_batch_rows: int,
        max_wait_ms: float,
        ack_timeout_s: float = 30.0,
        max_in_flight: int = 4,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.handler = handler
        self.dlq_topic = dlq_topic
        self.ack_timeout_s = ack_timeout_s
        self.max_in_flight = max_in_flight
        self.batches = 0
        self._in_flight: deque[_InFlight] = deque()
        self._handled: dict[TopicPartition, int] = {}  # next offset to commit, per partition
        self._lock = threading.Lock()
        self._batcher: MicroBatcher[tuple[ConsumerRecord, Item]] = MicroBatcher(
            self._fetch,
            lambda pair: max(1, handler.rows_of(pair[1])),
            enabled=batching,
            max_rows=max_batch_rows,
            max_wait_ms=max_wait_ms,
        )
        self._assignments = _TrackAssignments(self._forget)
        subscribe_when_known(consumer, topics, self._assignments)

    @property
    def assigned_partitions(self) -> list[str]:
        """``topic-partition`` names this consumer owns after the last rebalance."""
        return list(self._assignments.assigned)

    def run(self, stop: threading.Event) -> None:
        """Consume, handle and commit until ``stop`` is set; the batch in hand is always finished."""
        try:
            while not stop.is_set():
                try:
                    batch = self._batcher.next_batch(_IDLE_POLL_MS)
                except KafkaError as exc:  # a rebalance or broker hiccup: keep the worker alive and poll again
                    log.warning("poll failed (%s); retrying", exc)
                    stop.wait(0.5)  # back off so a persistent failure does not spin
                    continue
                if batch:
                    self._process(batch)
                self._settle(block=False)
        finally:
            try:
                self._settle(block=True)  # the batches in hand are finished and acknowledged before we leave
            finally:
                self.commit_sync()
                self.consumer.close()  # leaves the group at once instead of after the session timeout
                self.producer.close(timeout=self.ack_timeout_s)

    def _fetch(self, timeout_ms: float, max_records: int) -> list[tuple[ConsumerRecord, Item]]:
        polled = self.consumer.poll(timeout_ms=max(0, int(timeout_ms)), max_records=max_records)
        return [(record, self.handler.decode(record)) for records in polled.values() for record in records]

    def _process(self, batch: list[tuple[ConsumerRecord, Item]]) -> None:
        self.batches += 1
        metrics.BATCH_REQUESTS.observe(len(batch))
        outgoing = self.handler.handle([item for _record, item in batch])
        entry = _InFlight({}, {})
        for record, _item in batch:
            tp = TopicPartition(record.topic, record.partition)
            entry.firsts.setdefault(tp, record.offset)
            entry.nexts[tp] = record.offset + 1
        self._in_flight.append(entry)
        try:
            for out in outgoing:
                entry.futures.append(self._send(out))
        except (KafkaError, OSError) as exc:
            self._failed(exc)

    def _settle(self, *, block: bool) -> None:
        """Commit every leading batch whose output is acknowledged; wait for them when ``block`` or too many."""
        while self._in_flight:
            head = self._in_flight[0]
            if not (block or len(self._in_flight) > self.max_in_flight or head.acknowledged()):
                return
            try:
                for future in head.futures:
                    future.get(timeout=self.ack_timeout_s)
            except (KafkaError, OSError) as exc:
                self._failed(exc)
                return
            self._in_flight.popleft()
            self._commit(head.nexts)

    def _commit(self, nexts: dict[TopicPartition, int]) -> None:
        owned = self.consumer.assignment()  # a rebalance since the batch was polled may have moved some away
        offsets = {tp: o for tp, o in nexts.items() if tp in owned}
        if not offsets:
            return
        with self._lock:
            self._handled.update(offsets)
        # Async is safe: this batch and every one before it are acknowledged, and commits stay ordered.
        self.consumer.commit_async(
            {tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()}, callback=_log_commit
        )

    def _failed(self, exc: BaseException) -> None:
        """Output was not acknowledged: rewind to the first unacknowledged offsets and handle them again."""
        metrics.REPLY_FAILURES.inc()
        log.error("the broker did not acknowledge a batch's output (%s); handling it again", exc)
        firsts: dict[TopicPartition, int] = {}
        for entry in self._in_flight:
            for tp, offset in entry.firsts.items():
                firsts[tp] = min(offset, firsts.get(tp, offset))
        self._in_flight.clear()
        self._rewind(firsts)
        time.sleep(0.5)  # back off: the broker is struggling and retrying at once would spin

    def _send(self, out: Outgoing) -> Any:
        try:
            return self.producer.send(out.topic, value=out.value, key=out.key, headers=list(out.headers))
        except KafkaTimeoutError as exc:
            # No metadata in time: the topic does not exist (auto-creation is off). Retrying would block the
            # partition forever, so the request goes to the DLQ instead; a missing DLQ raises as a real outage.
            if out.source is None or out.topic == self.dlq_topic:
                raise
            log.warning("topic %s does not exist; dead-lettering the record that asked for it", out.topic)
            error = MissingTopic(f"topic {out.topic!r} does not exist (or has no leader): create it first ({exc})")
            letter = dead_letter(out.source, error, self.dlq_topic)
            return self.producer.send(letter.topic, value=letter.value, key=letter.key, headers=list(letter.headers))

    def _rewind(self, firsts: dict[TopicPartition, int]) -> None:
        for tp, offset in firsts.items():
            try:
                self.consumer.seek(tp, offset)
            except (KafkaError, AssertionError, ValueError) as exc:  # partition moved away: its new owner redoes it
                log.warning("could not rewind %s to %d: %s", tp, offset, exc)

    def _forget(self, partitions: Any) -> None:
        """Drop handled offsets of partitions moving away: committing them later could rewind the new owner."""
        with self._lock:
            for tp in partitions:
                self._handled.pop(tp, None)

    def commit_sync(self) -> None:
        """Commit the handled offsets of partitions still owned, and wait for the broker (at shutdown)."""
        owned = self.consumer.assignment()
        with self._lock:
            offsets = {tp: OffsetAndMetadata(o, "", -1) for tp, o in self._handled.items() if tp in owned}
            self._handled.clear()
        if not offsets:
            return
        try:
            self.consumer.commit(offsets)
        except (KafkaError, AssertionError) as exc:  # the next owner re-handles them; callers de-duplicate
            log.warning("could not commit offsets %s: %s", offsets, exc)


def _log_commit(offsets: Any, response: Any) -> None:
    if isinstance(response, Exception):
        log.warning("offset commit failed (records may be handled twice): %s", response)
