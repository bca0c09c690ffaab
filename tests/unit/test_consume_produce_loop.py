"""The scorer loop's at-least-once rules, driven through in-memory stand-ins for librdkafka's clients.

The broker tests (tests/scorer) show the loop end to end; these pin down what they cannot
provoke on demand: acknowledgements arriving late or failing, the rewind that follows, both
ways librdkafka reports a missing output topic, and rebalances between a batch and its commit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from services.scorer.loop import ConsumeProduceLoop, Outgoing
from spindrift.kafka import headers as kh
from spindrift.kafka.records import Record

TOPIC = "requests"
DLQ = "dlq"


class FakeConsumer:
    """Hands out queued messages; records subscriptions, commits, seeks and close."""

    def __init__(self, partitions: int = 2) -> None:
        self.partitions = partitions
        self.queue: deque[Message] = deque()
        self.callbacks: dict[str, Callable[[Any, list[TopicPartition]], None]] = {}
        self.commits: list[dict[tuple[str, int], int]] = []
        self.sync_commits: list[dict[tuple[str, int], int]] = []
        self.seeks: list[tuple[str, int, int]] = []
        self.closed = False

    def list_topics(self, topic: str, timeout: float) -> Any:
        found = SimpleNamespace(error=None, partitions={p: object() for p in range(self.partitions)})
        return SimpleNamespace(topics={topic: found})

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        self.callbacks = callbacks

    def rebalance(self, event: str, *partitions: int) -> None:
        self.callbacks[event](self, [TopicPartition(TOPIC, p) for p in partitions])

    def poll(self, timeout: float) -> Message | None:
        return self.queue.popleft() if self.queue else None

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        out = []
        while self.queue and len(out) < num_messages:
            out.append(self.queue.popleft())
        return out

    def commit(self, *, offsets: list[TopicPartition], asynchronous: bool) -> None:
        (self.commits if asynchronous else self.sync_commits).append(
            {(t.topic, t.partition): t.offset for t in offsets}
        )

    def seek(self, tp: TopicPartition) -> None:
        self.seeks.append((tp.topic, tp.partition, tp.offset))

    def close(self) -> None:
        self.closed = True


@dataclass
class Produced:
    topic: str
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    on_delivery: Callable[[KafkaError | None, Any], None]


class FakeProducer:
    """Queues produced records; ``poll`` reports on those released, with the error ``outcome`` gives."""

    def __init__(self) -> None:
        self.produced: list[Produced] = []
        self.unreported: list[Produced] = []
        self.refuse: set[str] = (
            set()
        )  # topics produce() rejects at once, as librdkafka does once they are known missing
        self.outcome: Callable[[Produced], KafkaError | None] = lambda _p: None
        self.hold = False  # while set, poll() reports nothing: acknowledgements are late

    def produce(
        self, topic: str, value: bytes, key: bytes | None, headers: list[Any], on_delivery: Any, partition: int = -1
    ) -> None:
        if topic in self.refuse:
            raise KafkaException(KafkaError(KafkaError._UNKNOWN_TOPIC))
        record = Produced(topic, value, list(headers), on_delivery)
        self.produced.append(record)
        self.unreported.append(record)

    def poll(self, timeout: float) -> int:
        if self.hold:
            return 0
        reported, self.unreported = self.unreported, []
        for record in reported:
            record.on_delivery(self.outcome(record), None)
        return len(reported)

    def flush(self, timeout: float) -> int:
        return 0 if self.poll(timeout) >= 0 and not self.unreported else len(self.unreported)

    def purge(self) -> None:
        self.unreported.clear()

    def close(self) -> bool:
        return True


class EchoHandler:
    """Replies to each record on the topic named by its value (``reply:<topic>``)."""

    def decode(self, record: Record) -> Record:
        return record

    def rows_of(self, item: Record) -> int:
        return 1

    def handle(self, items: Sequence[Record]) -> list[Outgoing]:
        return [Outgoing((i.value or b"").decode().split(":", 1)[1], b"answer", source=i) for i in items]


def message(partition: int, offset: int, reply_topic: str = "replies") -> Message:
    return Message(topic=TOPIC, partition=partition, offset=offset, key=None, value=f"reply:{reply_topic}".encode())


def make_loop(consumer: FakeConsumer, producer: FakeProducer, **options: Any) -> ConsumeProduceLoop[Record]:
    """The loop over the in-memory clients with an echo handler; ``options`` override its settings."""
    settings: dict[str, Any] = {"batching": False, "max_batch_rows": 10, "max_wait_ms": 0, **options}
    return ConsumeProduceLoop(
        consumer,  # type: ignore[arg-type]
        producer,  # type: ignore[arg-type]
        EchoHandler(),
        topics=[TOPIC],
        dlq_topic=DLQ,
        **settings,
    )


@pytest.fixture
def clients() -> tuple[FakeConsumer, FakeProducer, ConsumeProduceLoop[Record]]:
    consumer, producer = FakeConsumer(), FakeProducer()
    loop = make_loop(consumer, producer, ack_timeout_s=0.2, max_in_flight=2)
    consumer.rebalance("on_assign", 0, 1)
    return consumer, producer, loop


def test_offsets_are_committed_only_once_the_output_is_acknowledged(clients: Any) -> None:
    consumer, producer, loop = clients
    producer.hold = True
    consumer.queue.extend([message(0, 5), message(1, 9)])
    loop.run_once(0)
    loop.run_once(0)
    assert len(producer.produced) == 2 and consumer.commits == []
    producer.hold = False
    loop.run_once(0)
    assert consumer.commits == [{(TOPIC, 0): 6}, {(TOPIC, 1): 10}]
    assert loop.assigned_partitions == [f"{TOPIC}-0", f"{TOPIC}-1"]


def test_a_failed_delivery_rewinds_to_the_first_unacknowledged_offsets(clients: Any) -> None:
    consumer, producer, loop = clients
    producer.outcome = lambda p: KafkaError(KafkaError._MSG_TIMED_OUT) if p is producer.produced[1] else None
    producer.hold = True
    consumer.queue.extend([message(0, 5), message(1, 3)])
    loop.run_once(0)
    loop.run_once(0)
    producer.hold = False
    loop.run_once(0)
    # The first batch was acknowledged and committed; the second failed, so partition 1 is handled again.
    assert consumer.commits == [{(TOPIC, 0): 6}]
    assert consumer.seeks == [(TOPIC, 1, 3)]
    consumer.queue.append(message(1, 3))
    loop.run_once(0)
    assert consumer.commits[-1] == {(TOPIC, 1): 4}


def test_more_unacknowledged_batches_than_allowed_wait_and_then_rewind(clients: Any) -> None:
    consumer, producer, loop = clients
    producer.hold = True  # acknowledgements never come
    consumer.queue.extend([message(0, o) for o in range(3)])
    for _ in range(3):
        loop.run_once(0)  # the third exceeds max_in_flight=2: it waits ack_timeout_s, then gives up
    assert consumer.commits == [] and consumer.seeks == [(TOPIC, 0, 0)]


def test_a_missing_reply_topic_reported_on_delivery_dead_letters_its_request(clients: Any) -> None:
    consumer, producer, loop = clients

    def outcome(p: Produced) -> KafkaError | None:
        return KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART) if p.topic == "gone" else None

    producer.outcome = outcome
    consumer.queue.extend([message(0, 0, "gone"), message(0, 1)])
    loop.run_once(0)
    loop.run_once(0)
    loop.run_once(0)
    letters = [p for p in producer.produced if p.topic == DLQ]
    assert len(letters) == 1
    info = kh.read_dlq_headers(letters[0].headers)
    assert (info.topic, info.partition, info.offset) == (TOPIC, 0, 0)
    assert info.exception.endswith("MissingTopic") and "gone" in info.message
    assert consumer.commits[-1] == {(TOPIC, 0): 2} and consumer.seeks == []


def test_a_missing_reply_topic_refused_by_produce_dead_letters_its_request(clients: Any) -> None:
    consumer, producer, loop = clients
    producer.refuse.add("gone")
    consumer.queue.extend([message(1, 4, "gone")])
    loop.run_once(0)
    assert [p.topic for p in producer.produced] == [DLQ]
    assert consumer.commits == [{(TOPIC, 1): 5}]


def test_a_missing_dlq_is_an_outage_not_a_dead_letter(clients: Any) -> None:
    consumer, producer, loop = clients
    producer.refuse.update({"gone", DLQ})
    consumer.queue.extend([message(0, 2, "gone")])
    loop.run_once(0)
    assert consumer.commits == [] and consumer.seeks == [(TOPIC, 0, 2)]


def test_revoked_partitions_are_not_committed_and_shutdown_commits_the_rest(clients: Any) -> None:
    consumer, producer, loop = clients
    producer.hold = True
    consumer.queue.extend([message(0, 1), message(1, 1)])
    loop.run_once(0)
    loop.run_once(0)
    consumer.rebalance("on_revoke", 0)
    producer.hold = False
    loop.run_once(0)
    assert consumer.commits == [{(TOPIC, 1): 2}]
    assert loop.assigned_partitions == [f"{TOPIC}-1"]
    loop.shutdown()
    assert consumer.sync_commits == [{(TOPIC, 1): 2}] and consumer.closed


def test_consumer_errors_are_skipped_and_null_headers_survive() -> None:
    from spindrift.kafka.records import from_confluent

    record = from_confluent(Message(topic="t", partition=0, offset=1, key=None, value=b"v", headers=None))
    assert record.headers == () and record.key is None
    record = from_confluent(
        Message(topic="t", partition=0, offset=2, key=b"k", value=None, headers=[("a", None), ("b", b"x")])
    )
    assert record.headers == (("a", None), ("b", b"x")) and record.value is None
    assert kh.get_header(record.headers, "a") is None and kh.get_header(record.headers, "b") == b"x"
    consumer, producer = FakeConsumer(), FakeProducer()
    loop = make_loop(consumer, producer, batching=True)
    consumer.rebalance("on_assign", 0)
    consumer.queue.extend([Message(topic=TOPIC, partition=0, error=KafkaError(KafkaError._TRANSPORT)), message(0, 7)])
    loop.run_once(0)
    assert [p.topic for p in producer.produced] == ["replies"]


class FragileHandler(EchoHandler):
    """An echo handler whose decode or handle raises for records saying ``decode-bomb`` / ``handle-bomb``."""

    def decode(self, record: Record) -> Record:
        if record.value == b"decode-bomb":
            raise RecursionError("maximum recursion depth exceeded")
        return record

    def handle(self, items: Sequence[Record]) -> list[Outgoing]:
        if any(i.value == b"handle-bomb" for i in items):
            raise KeyError("a handler bug")
        return super().handle(items)


def test_a_record_whose_decode_or_handle_raises_is_dead_lettered_and_its_batch_mates_answered_once() -> None:
    consumer, producer = FakeConsumer(), FakeProducer()
    loop = make_loop(consumer, producer, batching=True, max_batch_rows=10)
    loop.handler = FragileHandler()
    consumer.rebalance("on_assign", 0, 1)
    bombs = [
        Message(topic=TOPIC, partition=0, offset=1, key=b"k1", value=b"decode-bomb"),
        Message(topic=TOPIC, partition=0, offset=3, key=b"k3", value=b"handle-bomb"),
    ]
    consumer.queue.extend([message(0, 0), bombs[0], message(0, 2), bombs[1], message(0, 4)])
    loop.run_once(0)
    replies = [p for p in producer.produced if p.topic == "replies"]
    letters = [p for p in producer.produced if p.topic == DLQ]
    assert len(replies) == 3  # offsets 0, 2, 4: each answered exactly once
    assert [p.value for p in letters] == [b"decode-bomb", b"handle-bomb"]
    infos = [kh.read_dlq_headers(p.headers) for p in letters]
    assert [(i.offset, i.exception) for i in infos] == [(1, "builtins.RecursionError"), (3, "builtins.KeyError")]
    assert "maximum recursion depth" in infos[0].message and "a handler bug" in infos[1].message
    assert consumer.commits == [{(TOPIC, 0): 5}] and consumer.seeks == []
    # The loop is still alive: the next record is answered as usual.
    consumer.queue.append(message(0, 5))
    loop.run_once(0)
    assert consumer.commits[-1] == {(TOPIC, 0): 6}


class BigReplyHandler(EchoHandler):
    """Answers ``big:<n>`` records with an n-byte reply that offers a small one if it is refused."""

    def handle(self, items: Sequence[Record]) -> list[Outgoing]:
        out = []
        for i in items:
            size = int((i.value or b"big:1").decode().split(":", 1)[1])
            small = Outgoing("replies", b"too large", source=i)
            out.append(Outgoing("replies", b"x" * size, source=i, if_rejected=lambda _e, small=small: small))
        return out


class SizeCheckingProducer(FakeProducer):
    """Refuses records over 100 bytes in produce() (librdkafka's local check); the broker refuses over 50."""

    def produce(
        self, topic: str, value: bytes, key: bytes | None, headers: list[Any], on_delivery: Any, partition: int = -1
    ) -> None:
        if len(value) > 100:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        super().produce(topic, value, key, headers, on_delivery, partition)


@pytest.mark.parametrize("big", [500, 80], ids=["refused-by-produce", "refused-on-delivery"])
def test_a_reply_too_large_is_answered_once_and_never_rewinds_its_batch(big: int) -> None:
    consumer, producer = FakeConsumer(), SizeCheckingProducer()
    producer.outcome = lambda p: KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if len(p.value or b"") > 50 else None
    loop = make_loop(consumer, producer, batching=True, max_batch_rows=10)
    loop.handler = BigReplyHandler()
    consumer.rebalance("on_assign", 0, 1)
    values = [b"big:3", f"big:{big}".encode(), b"big:4"]
    consumer.queue.extend(Message(topic=TOPIC, partition=0, offset=o, key=None, value=v) for o, v in enumerate(values))
    for _ in range(3):
        loop.run_once(0)
    delivered = [p.value for p in producer.produced if len(p.value or b"") <= 50]
    assert sorted(delivered) == sorted([b"xxx", b"too large", b"xxxx"])  # each request answered exactly once
    assert consumer.seeks == [] and consumer.commits[-1] == {(TOPIC, 0): 3}


def test_a_replacement_the_broker_also_refuses_dead_letters_the_request() -> None:
    consumer, producer = FakeConsumer(), SizeCheckingProducer()
    loop = make_loop(consumer, producer)
    consumer.rebalance("on_assign", 0)
    consumer.queue.append(message(0, 7, "replies"))
    loop.handler = type(
        "Huge",
        (EchoHandler,),
        {
            "handle": lambda self, items: [
                Outgoing("replies", b"y" * 200, source=items[0], if_rejected=lambda _e: Outgoing("replies", b"z" * 200))
            ]
        },
    )()
    loop.run_once(0)
    letters = [p for p in producer.produced if p.topic == DLQ]
    assert len(letters) == 1 and kh.read_dlq_headers(letters[0].headers).exception.endswith("RejectedRecord")
    assert consumer.seeks == [] and consumer.commits == [{(TOPIC, 0): 8}]
