"""SIGTERM to one of two scorers under load: answer what is in hand, commit exactly that, leave the group.

Every request carries its number as the row ``id``; reading the requests topic afterwards maps
each number to its partition and offset, so each reply is placed on the log. The group's
committed offsets are read with an admin client while the scorer shuts down, and its
membership with ``describe_consumer_groups``. The session timeout is 10 s: a scorer that
left the group hands its partitions over at the survivor's next heartbeat, long before
the group would notice a silent member.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from kafka import TopicPartition as KafkaTopicPartition

from spindrift import wire
from spindrift.client import Prediction, SpindriftClient
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version
from tests.kafka_user import user_consumer as make_consumer
from tests.waiting import wait_until

from .conftest import TutorialModels, manifest
from .processes import Load, ScorerProcess, scorer_env, wait_for_partitions

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

PARTITIONS = 4
SESSION_TIMEOUT_S = 10.0
REPLY_TIMEOUT_S = 40.0
TEXTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop"]

Offsets = dict[int, int]


@dataclass
class Group:
    kafka: KafkaSettings
    name: str
    group_id: str
    topic: str
    scorers: dict[str, ScorerProcess]
    client: SpindriftClient
    admin: AdminClient = field(init=False)

    def __post_init__(self) -> None:
        self.admin = AdminClient({"bootstrap.servers": self.kafka.bootstrap_servers})

    def committed(self) -> Offsets:
        """The group's committed offset per partition of the requests topic (partitions without one left out)."""
        request = ConsumerGroupTopicPartitions(
            self.group_id, [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
        )
        result = self.admin.list_consumer_group_offsets([request])[self.group_id].result(timeout=10)
        return {tp.partition: tp.offset for tp in result.topic_partitions if tp.offset >= 0}

    def members(self) -> set[str]:
        """The client ids of the group's members."""
        description = self.admin.describe_consumer_groups([self.group_id])[self.group_id].result(timeout=10)
        return {m.client_id for m in description.members}

    def member_of(self, scorer: ScorerProcess) -> bool:
        """Whether ``scorer`` is a member (its client id ends with its scorer id)."""
        return any(client_id.endswith(f"-scorer-{scorer.name}") for client_id in self.members())


@pytest.fixture()
def group(
    kafka_settings: KafkaSettings, tutorial_models: TutorialModels, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Group]:
    suffix = uuid.uuid4().hex[:8]
    topic, group_id, name = f"score.requests.sigterm-{suffix}", f"sigterm-scorers-{suffix}", f"sigterm-{suffix}"
    ensure_topics(kafka_settings)
    ensure_topics(kafka_settings, [TopicSpec(topic, PARTITIONS)])
    producer = make_producer(kafka_settings)
    try:
        publish_version(producer, manifest(name, 1), tutorial_models.dirs[1])
    finally:
        close_producer(producer, 5)
    env = scorer_env(
        kafka_settings,
        group_id=group_id,
        requests_topic=topic,
        dlq_topic=f"score.dlq.sigterm-{suffix}",
        session_timeout_ms=str(int(SESSION_TIMEOUT_S * 1000)),
    )
    log_dir = tmp_path_factory.mktemp("sigterm-scorer-logs")
    scorers = {role: ScorerProcess(f"{role}-{suffix}", log_dir, env) for role in ("leaving", "staying")}
    client: SpindriftClient | None = None
    try:
        for scorer in scorers.values():
            scorer.wait_ready()
        wait_for_partitions(list(scorers.values()), total=PARTITIONS)
        client = SpindriftClient(kafka_settings, requests_topic=topic)
        yield Group(kafka_settings, name, group_id, topic, scorers, client)
    finally:
        if client is not None:
            client.close()
        for scorer in scorers.values():
            scorer.terminate()


def request_offsets(kafka: KafkaSettings, topic: str, count: int) -> dict[int, tuple[int, int]]:
    """Request number (its row id) → (partition, offset), read back from the requests topic."""
    consumer = make_consumer(kafka)
    placed: dict[int, tuple[int, int]] = {}
    try:
        partitions = [KafkaTopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 30
        while len(placed) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    _name, body = wire.decode(record.value, record.headers, expected="ScoreRequest")
                    placed[int(body["rows"][0]["id"])] = (record.partition, record.offset)
    finally:
        consumer.close()
    assert len(placed) == count, f"found {len(placed)} of {count} requests on {topic}"
    return placed


def partitions_of(scorer: ScorerProcess) -> set[int]:
    return {int(tp.rsplit("-", 1)[1]) for tp in scorer.status().get("assigned_partitions", [])}


def test_sigterm_under_load_answers_in_flight_commits_what_it_answered_and_hands_over_at_once(group: Group) -> None:
    leaving, staying = group.scorers["leaving"], group.scorers["staying"]
    theirs = partitions_of(leaving)
    assert theirs and partitions_of(staying) == set(range(PARTITIONS)) - theirs

    def ask(i: int) -> Any:
        rows = [{"id": i, "text": TEXTS[i % len(TEXTS)]}]
        return group.client.predict_async(group.name, rows, timeout=REPLY_TIMEOUT_S, outputs=["id", "prediction"])

    snapshots: list[tuple[float, Offsets]] = []  # committed offsets while the leaving scorer was gone from the
    # group and its partitions not yet the staying scorer's: only the leaving scorer can have committed them
    with Load(ask, interval=0.01) as load:
        load.wait_until(
            lambda done: all(sum(p.scorer == s.name for p in done) >= 20 for s in (leaving, staying)),
            60,
            "20 replies from each scorer",
        )
        burst = load.burst(40)  # sent an instant before the signal: in flight when it arrives
        signalled = time.monotonic()
        leaving.proc.send_signal(signal.SIGTERM)
        in_flight = [f for f in list(load.sent) if not f.done()]
        assert set(burst) & set(in_flight)
        handed_over: list[float] = []

        def staying_owns_everything() -> bool:
            if not group.member_of(leaving):
                offsets = group.committed()
                if not partitions_of(staying) & theirs:  # read after the offsets: nobody else committed them
                    snapshots.append((time.monotonic(), offsets))
            if partitions_of(staying) == set(range(PARTITIONS)):
                handed_over.append(time.monotonic() - signalled)
                return True
            return False

        assert wait_until(staying_owns_everything, SESSION_TIMEOUT_S * 3, interval=0.02), "no handover"
        assert leaving.proc.wait(timeout=30) == 0
        assert not group.member_of(leaving)
        after = len(load.sent)
        load.wait_until(lambda done: len(done) >= after + 50, 60, "50 replies after the handover")
    replies: list[Prediction] = load.results(timeout=REPLY_TIMEOUT_S + 5)  # raises on any error or lost request

    # Every request answered exactly once, those in flight at the signal included.
    assert len(replies) == len(load.sent) and all(f.done() and f.exception() is None for f in in_flight)
    assert group.client.duplicate_replies == 0
    assert [p.rows[0]["id"] for p in replies] == list(range(len(replies)))
    answered_by_leaving = sum(f.result().scorer == leaving.name for f in in_flight)
    print(  # the measurements, shown with -s or when the test fails
        f"handover {handed_over[0]:.2f} s after SIGTERM; {len(in_flight)} requests in flight at the signal, "
        f"{answered_by_leaving} of them answered by the leaving scorer; {len(snapshots)} offset snapshots"
    )
    # The other scorer took the partitions at its next heartbeat, not after a session timeout.
    assert handed_over[0] < SESSION_TIMEOUT_S / 2, f"handover took {handed_over[0]:.2f} s"

    placed = request_offsets(group.kafka, group.topic, len(replies))
    answered_by: dict[int, dict[int, str]] = {}
    for i, reply in enumerate(replies):
        partition, offset = placed[i]
        answered_by.setdefault(partition, {})[offset] = str(reply.scorer)
    last_answered = {p: max(o for o, s in answered_by[p].items() if s == leaving.name) for p in theirs}
    for p in theirs:
        by_offset = answered_by[p]
        assert sorted(by_offset) == list(range(len(by_offset))), f"partition {p}: offsets answered with gaps"
        # The leaving scorer answered a prefix of its partitions; the staying one resumed right after it.
        after_leaving = [s for o, s in sorted(by_offset.items()) if o > last_answered[p]]
        assert set(after_leaving) <= {staying.name}, f"partition {p}: the leaving scorer answered after a gap"
    assert snapshots, "the committed offsets were never read between the leave and the handover"
    _at, committed = snapshots[-1]
    assert {p: committed.get(p) for p in theirs} == {p: last_answered[p] + 1 for p in theirs}, (
        "the leaving scorer's commits are not exactly what it answered"
    )
    # Once the load stopped and everything was answered, the group has committed every request.
    ends = {p: len(answered_by.get(p, {})) for p in range(PARTITIONS)}
    assert wait_until(lambda: group.committed() == ends, 30), f"committed {group.committed()} != ends {ends}"
