"""The at-least-once consume → handle → produce → commit loop both scorer modes share.

A :class:`RecordHandler` turns polled records into items (``decode``) and a batch of items
into outgoing records (``handle``: replies, enriched events, dead letters). The loop sends
them and commits a batch's offsets only once the broker has acknowledged every record of
that batch and of the batches before it. Acknowledgements are pipelined: up to
``max_in_flight`` batches wait for theirs while the next ones are handled, so the ack round
trip does not cap throughput. When a send fails, nothing more is committed and the consumer
seeks back to the first unacknowledged offsets, so those batches are handled again (callers
de-duplicate by correlation id).

The clients are confluent-kafka's (librdkafka): ``consumer`` is built by
:func:`spindrift.kafka.settings.make_consumer` with auto-commit and auto offset store off,
``producer`` by :func:`~spindrift.kafka.settings.make_producer`. Every callback (delivery
reports, rebalances) runs on the loop's own thread, inside ``producer.poll`` and
``consumer.poll``, so the loop's state needs no lock.

An output whose topic does not exist (auto-creation is off) is dead-lettered instead, so one
request naming a bad reply topic never blocks its partition. Likewise an output the broker
refuses for what it is (``MSG_SIZE_TOO_LARGE``, invalid record) is never retried: its
``if_rejected`` answer (a ``REPLY_TOO_LARGE`` error reply) is sent instead, or its input is
dead-lettered, and the batch-mates' replies stand (no rewind, no second answers). librdkafka says so in one of two
ways: ``produce()`` raises ``_UNKNOWN_TOPIC`` once the topic is known to be missing, or the
delivery report carries ``UNKNOWN_TOPIC_OR_PART`` when the topic was first looked up and not
found within ``topic.metadata.propagation.max.ms``; both are handled.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from spindrift.kafka import headers as kh
from spindrift.kafka.group import subscribe_when_known
from spindrift.kafka.records import Record, RecordHeaders, from_confluent
from spindrift.kafka.settings import close_producer
from spindrift.serving.batcher import MicroBatcher

from . import metrics

log = logging.getLogger(__name__)

Item = TypeVar("Item")
# (topic, partition): plain tuples hash and compare by value, whatever offset a TopicPartition carries.
Partition = tuple[str, int]

# How long one poll blocks while idle; bounds how quickly a stop request is noticed.
_IDLE_POLL_MS = 100.0
# How long one wait for acknowledgements blocks before re-checking the deadline.
_ACK_POLL_S = 0.1
# Pause after a failed send or poll: the broker is struggling and retrying at once would spin.
_BACKOFF_S = 0.5

# Delivery errors and produce() refusals that mean "this topic does not exist".
_MISSING_TOPIC_CODES = frozenset({KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC})
# Refusals of one record for what it is (librdkafka reports the local message.max.bytes check and the
# broker's own limit with the same code): sending it again can never succeed, so it is answered instead.
_REJECTED_RECORD_CODES = frozenset(
    {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_RECORD}
)


@dataclass(frozen=True)
class Outgoing:
    """A record to produce: where, with which key, value and headers, and the input it answers."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: RecordHeaders = ()
    source: Record | None = None
    """The consumed record this answers; it is dead-lettered if ``topic`` turns out not to exist."""
    partition: int | None = None
    """The partition to write to (Spring's ``kafka_replyPartition``); None lets the key decide."""
    if_rejected: Callable[[KafkaError], Outgoing] | None = None
    """What to send instead when the broker refuses this record itself (e.g. too large); else ``source`` is
    dead-lettered. Never rewound and retried: that would fail again and answer the batch-mates twice."""


class RejectedRecord(ValueError):
    """An output the broker refused for what it is (too large, invalid): its input is dead-lettered."""


@dataclass(frozen=True)
class _Poisoned:
    """The item of a record whose ``decode`` raised: it goes to the DLQ with that exception."""

    error: BaseException


class MissingTopic(LookupError):
    """A reply or output topic the broker does not know (topic auto-creation is off)."""


def dead_letter(record: Record, error: BaseException, dlq_topic: str) -> Outgoing:
    """The DLQ record for ``record``: original key and bytes, original headers plus Spring's ``kafka_dlt-*``."""
    metrics.DLQ.labels(type(error).__name__).inc()
    headers = kh.dlq_headers(
        error, topic=record.topic, partition=record.partition, offset=record.offset, original=record.headers
    )
    return Outgoing(dlq_topic, record.value if record.value is not None else b"", record.key, tuple(headers))


@dataclass(eq=False)
class _InFlight:
    """A handled batch whose output awaits acknowledgement: where it started, where to commit to."""

    firsts: dict[Partition, int]
    nexts: dict[Partition, int]
    pending: int = 0
    """Outputs produced and not yet reported on by librdkafka."""
    failure: KafkaError | str | None = None
    """The first delivery error of this batch's output, if any."""

    def settled(self) -> bool:
        """Every output reported on (acknowledged, or one failed)."""
        return self.pending == 0 or self.failure is not None


class RecordHandler(Protocol[Item]):
    """What a scorer mode plugs into the loop."""

    def decode(self, record: Record) -> Item:
        """Turn one polled record into an item; must not raise (undecodable input is an item too)."""
        ...

    def rows_of(self, item: Item) -> int:
        """How many rows the item will cost to score (1 for items that are not scored)."""
        ...

    def handle(self, items: Sequence[Item]) -> list[Outgoing]:
        """Everything to produce for this batch of items (one data-plane call); must not raise."""
        ...


def log_commit(error: KafkaError | None, partitions: list[TopicPartition]) -> None:
    """librdkafka's ``on_commit`` callback: a failed commit only means records may be handled twice."""
    if error is not None:
        log.warning("offset commit failed (records may be handled twice): %s", error)
        return
    failed = [tp for tp in partitions if tp.error is not None]
    if failed:
        log.warning("offset commit failed for %s (records may be handled twice)", failed)


class ConsumeProduceLoop(Generic[Item]):
    """Runs a handler over a subscribed consumer until ``stop`` is set, then commits and leaves the group."""

    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
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
        self._handled: dict[Partition, int] = {}  # next offset to commit, per partition
        self._owned: set[Partition] = set()
        self._assigned: list[str] = []
        # Outputs the broker refused (missing topic, too large), to replace once the delivery reports are served.
        self._redirects: list[tuple[_InFlight, Outgoing, KafkaError]] = []
        self._batcher: MicroBatcher[tuple[Record, Item | _Poisoned]] = MicroBatcher(
            self._fetch,
            self._cost,
            enabled=batching,
            max_rows=max_batch_rows,
            max_wait_ms=max_wait_ms,
        )
        subscribe_when_known(consumer, topics, on_assign=self._on_assign, on_revoke=self._on_revoke)

    @property
    def assigned_partitions(self) -> list[str]:
        """``topic-partition`` names this consumer owns after the last rebalance."""
        return list(self._assigned)

    def run(self, stop: threading.Event) -> None:
        """Consume, handle and commit until ``stop`` is set; the batch in hand is always finished."""
        try:
            while not stop.is_set():
                try:
                    self.run_once(_IDLE_POLL_MS)
                except KafkaException as exc:  # a broker hiccup: keep the worker alive and poll again
                    log.warning("poll failed (%s); retrying", exc)
                    stop.wait(_BACKOFF_S)  # back off so a persistent failure does not spin
        finally:
            self.shutdown()

    def run_once(self, idle_timeout_ms: float) -> None:
        """One turn: poll a batch (waiting up to ``idle_timeout_ms`` for its first record), handle and
        send it, serve delivery reports, and commit every leading batch now acknowledged."""
        batch = self._batcher.next_batch(idle_timeout_ms)
        if batch:
            self._process(batch)
        self._serve(0)
        self._settle(block=False)

    def shutdown(self) -> None:
        """Finish: wait for the batches in hand to be acknowledged, commit them, leave the group, close."""
        try:
            self._settle(block=True)
        finally:
            self.commit_sync()
            self.consumer.close()  # leaves the group at once instead of after the session timeout
            remaining = close_producer(self.producer, self.ack_timeout_s)
            if remaining:
                log.warning("%d produced records were still unacknowledged at shutdown and were dropped", remaining)

    # --- consuming ----------------------------------------------------------------------
    def _cost(self, pair: tuple[Record, Item | _Poisoned]) -> int:
        item = pair[1]
        return 1 if isinstance(item, _Poisoned) else max(1, self.handler.rows_of(item))

    def _fetch(self, timeout_ms: float, max_records: int) -> list[tuple[Record, Item | _Poisoned]]:
        # poll() returns as soon as one message is there; consume(n, timeout) would wait for all n or the
        # timeout, holding a lone request for the whole idle wait. What is already queued is drained after.
        first = self.consumer.poll(max(0.0, timeout_ms) / 1000.0)
        if first is None:
            return []
        messages = [first]
        if max_records > 1:
            messages += self.consumer.consume(max_records - 1, 0)
        out: list[tuple[Record, Item | _Poisoned]] = []
        for message in messages:
            if not self._usable(message):
                continue
            record = from_confluent(message)
            try:
                out.append((record, self.handler.decode(record)))
            except Exception as exc:  # one poison record must never stop the loop (e.g. RecursionError)
                log.exception(
                    "decoding %s-%d@%d failed; dead-lettering it", record.topic, record.partition, record.offset
                )
                out.append((record, _Poisoned(exc)))
        return out

    @staticmethod
    def _usable(message: Message) -> bool:
        """Whether a polled message is a record; consumer errors are logged (librdkafka retries them)."""
        error = message.error()
        if error is None:
            return True
        if error.code() == KafkaError._PARTITION_EOF:
            return False
        if error.fatal():
            raise KafkaException(error)
        log.warning("consumer error on %s [%s]: %s", message.topic(), message.partition(), error)
        return False

    def _on_assign(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        self._owned |= {(tp.topic, tp.partition) for tp in partitions}
        self._assigned = sorted(f"{t}-{p}" for t, p in self._owned)
        log.info("assigned partitions %s", self._assigned)

    def _on_revoke(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        self._owned -= revoked
        self._assigned = sorted(f"{t}-{p}" for t, p in self._owned)
        # Committing their handled offsets later could rewind the partitions' new owner.
        for tp in revoked:
            self._handled.pop(tp, None)
        log.info("partitions revoked %s", sorted(f"{t}-{p}" for t, p in revoked))

    # --- producing ----------------------------------------------------------------------
    def _process(self, batch: list[tuple[Record, Item | _Poisoned]]) -> None:
        self.batches += 1
        metrics.BATCH_REQUESTS.observe(len(batch))
        outgoing = self._handle(batch)
        entry = _InFlight({}, {})
        for record, _item in batch:
            tp = (record.topic, record.partition)
            entry.firsts.setdefault(tp, record.offset)
            entry.nexts[tp] = record.offset + 1
        self._in_flight.append(entry)
        for out in outgoing:
            self._send(entry, out)

    def _handle(self, batch: list[tuple[Record, Item | _Poisoned]]) -> list[Outgoing]:
        """The batch's outputs; a record whose decode or handling raised is dead-lettered, alone."""
        outgoing: list[Outgoing] = []
        pairs: list[tuple[Record, Item]] = []
        for record, item in batch:
            if isinstance(item, _Poisoned):
                outgoing.append(dead_letter(record, item.error, self.dlq_topic))
            else:
                pairs.append((record, item))
        if not pairs:
            return outgoing
        try:
            return outgoing + self.handler.handle([item for _record, item in pairs])
        except Exception:
            log.exception("handling a batch of %d records failed; handling them one by one", len(pairs))
        # Rare path: find the culprit(s) so their batch-mates are still answered, once each.
        for record, item in pairs:
            try:
                outgoing += self.handler.handle([item])
            except Exception as exc:
                log.exception(
                    "handling %s-%d@%d failed; dead-lettering it", record.topic, record.partition, record.offset
                )
                outgoing.append(dead_letter(record, exc, self.dlq_topic))
        return outgoing

    def _send(self, entry: _InFlight, out: Outgoing) -> None:
        """Produce ``out`` for ``entry``; a topic known to be missing dead-letters its source instead."""
        while True:
            try:
                self.producer.produce(
                    out.topic,
                    value=out.value,
                    key=out.key,
                    headers=list(out.headers),
                    on_delivery=functools.partial(self._delivered, entry, out),
                    partition=-1 if out.partition is None else out.partition,  # -1: librdkafka's "any" (by key)
                )
                entry.pending += 1
                return
            except BufferError:  # librdkafka's local queue is full: serve delivery reports to make room
                self.producer.poll(_ACK_POLL_S)
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if self._redirectable(out, error):
                    self._send(entry, self._replacement(out, error))
                else:
                    entry.failure = entry.failure or error
                return

    def _delivered(self, entry: _InFlight, out: Outgoing, error: KafkaError | None, _message: Message) -> None:
        """librdkafka's delivery report for one output (runs inside ``producer.poll``/``flush``)."""
        entry.pending -= 1
        if error is None:
            return
        if self._redirectable(out, error):
            # Produced after poll() returns (see _serve) rather than from inside librdkafka's callback.
            self._redirects.append((entry, out, error))
        else:
            entry.failure = entry.failure or error

    def _redirectable(self, out: Outgoing, error: KafkaError) -> bool:
        # A missing DLQ, or output with no source record to dead-letter, is a real outage: fail and retry.
        if out.source is None or out.topic == self.dlq_topic:
            return False
        return error.code() in _MISSING_TOPIC_CODES or error.code() in _REJECTED_RECORD_CODES

    def _replacement(self, out: Outgoing, error: KafkaError) -> Outgoing:
        """What to send instead of ``out``, which the broker refused for good: an answer or a dead letter."""
        assert out.source is not None
        if error.code() in _MISSING_TOPIC_CODES:
            log.warning(
                "topic %s does not exist (%s); dead-lettering the record that asked for it", out.topic, error.str()
            )
            missing = MissingTopic(
                f"topic {out.topic!r} does not exist (or has no leader): create it first ({error.str()})"
            )
            return dead_letter(out.source, missing, self.dlq_topic)
        log.warning("the broker refused a %d-byte record for %s (%s)", len(out.value), out.topic, error.str())
        if out.if_rejected is not None:
            replacement = out.if_rejected(error)
            # Its own refusal must end in the DLQ, not in another replacement.
            return Outgoing(
                replacement.topic, replacement.value, replacement.key, replacement.headers, out.source, out.partition
            )
        rejected = RejectedRecord(f"the {len(out.value)}-byte output for {out.topic!r} was refused: {error.str()}")
        return dead_letter(out.source, rejected, self.dlq_topic)

    def _serve(self, timeout_s: float) -> None:
        """Serve delivery reports for up to ``timeout_s``, then send the dead letters they asked for."""
        self.producer.poll(timeout_s)
        while self._redirects:
            redirects, self._redirects = self._redirects, []
            for entry, out, error in redirects:
                if any(entry is live for live in self._in_flight):  # else it was rewound and is handled again
                    self._send(entry, self._replacement(out, error))

    # --- committing ---------------------------------------------------------------------
    def _settle(self, *, block: bool) -> None:
        """Commit every leading batch whose output is acknowledged; wait for them when ``block`` or too many."""
        while self._in_flight:
            head = self._in_flight[0]
            if not head.settled():
                if not (block or len(self._in_flight) > self.max_in_flight):
                    return
                self._await(head)
            if head.failure is not None:
                self._failed(head.failure)
                return
            self._in_flight.popleft()
            self._commit(head.nexts)

    def _await(self, entry: _InFlight) -> None:
        """Serve delivery reports until ``entry`` is settled or ``ack_timeout_s`` has passed."""
        deadline = time.monotonic() + self.ack_timeout_s
        while not entry.settled():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                entry.failure = f"no acknowledgement within {self.ack_timeout_s:g} s"
                return
            self._serve(min(_ACK_POLL_S, remaining))

    def _commit(self, nexts: dict[Partition, int]) -> None:
        # A rebalance since the batch was polled may have moved some partitions away.
        offsets = {tp: o for tp, o in nexts.items() if tp in self._owned}
        if not offsets:
            return
        self._handled.update(offsets)
        # Async is safe: this batch and every one before it are acknowledged, and commits stay ordered.
        try:
            self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=True)
        except KafkaException as exc:  # e.g. mid-rebalance; the next batch's commit covers these offsets
            log.warning("could not commit offsets %s: %s", offsets, exc)

    def _failed(self, error: KafkaError | str) -> None:
        """Output was not acknowledged: rewind to the first unacknowledged offsets and handle them again."""
        metrics.REPLY_FAILURES.inc()
        log.error("the broker did not acknowledge a batch's output (%s); handling it again", error)
        firsts: dict[Partition, int] = {}
        for entry in self._in_flight:
            for tp, offset in entry.firsts.items():
                firsts[tp] = min(offset, firsts.get(tp, offset))
        self._in_flight.clear()
        self._redirects.clear()
        self._rewind(firsts)
        time.sleep(_BACKOFF_S)  # back off: the broker is struggling and retrying at once would spin

    def _rewind(self, firsts: dict[Partition, int]) -> None:
        for (topic, partition), offset in firsts.items():
            if (topic, partition) not in self._owned:
                continue  # moved away: its new owner starts from the last commit and redoes it
            try:
                self.consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as exc:
                log.warning("could not rewind %s-%d to %d: %s", topic, partition, offset, exc)

    def commit_sync(self) -> None:
        """Commit the handled offsets of partitions still owned, and wait for the broker (at shutdown)."""
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._handled.items() if (t, p) in self._owned]
        self._handled.clear()
        if not offsets:
            return
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:  # the next owner re-handles them; callers de-duplicate
            log.warning("could not commit offsets %s: %s", offsets, exc)
