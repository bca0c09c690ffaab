"""Promotion and rollback of the production alias while two scorers serve ``version="production"``.

The tutorial model's v1 and v2 learned opposite associations (see conftest), so a reply's rows
show which version scored them. A steady load asks for ``version="production"`` throughout:
v2's publication must not change the answers, its promotion must switch each scorer to v2 once,
and the rollback must switch each back to v1 once, with no error reply at any moment.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from spindrift.client import Prediction, SpindriftClient
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.current import read_registry_state
from spindrift.registry.publisher import promote, publish_version, rollback
from tests.runtime.parity import assert_close
from tests.waiting import wait_until

from .conftest import TutorialModels, manifest
from .processes import Load, ScorerProcess, scorer_env, wait_for_partitions

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

REPLY_TIMEOUT_S = 30.0
TEXTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop", "b d spark", "hadoop f g"]
FINAL_COLUMNS = ("rawPrediction", "probability", "prediction")


@dataclass
class Serving:
    kafka: KafkaSettings
    models: TutorialModels
    name: str
    scorers: list[ScorerProcess]
    client: SpindriftClient

    def publish(self, version: int) -> None:
        with_producer(self.kafka, lambda p: publish_version(p, manifest(self.name, version), self.models.dirs[version]))


def with_producer(kafka: KafkaSettings, action: Any) -> Any:
    producer = make_producer(kafka)
    try:
        return action(producer)
    finally:
        close_producer(producer, 5)


@pytest.fixture()
def serving(
    kafka_settings: KafkaSettings, tutorial_models: TutorialModels, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Serving]:
    suffix = uuid.uuid4().hex[:8]
    requests_topic = f"score.requests.aliases-{suffix}"
    ensure_topics(kafka_settings)
    ensure_topics(kafka_settings, [TopicSpec(requests_topic, 4)])
    name = f"aliased-{suffix}"
    with_producer(
        kafka_settings,
        lambda p: (
            publish_version(p, manifest(name, 1), tutorial_models.dirs[1]),
            promote(p, name, 1),
        ),
    )
    env = scorer_env(
        kafka_settings,
        group_id=f"alias-scorers-{suffix}",
        requests_topic=requests_topic,
        dlq_topic=f"score.dlq.aliases-{suffix}",
    )
    log_dir = tmp_path_factory.mktemp("alias-scorer-logs")
    scorers = [ScorerProcess(f"alias-{letter}-{suffix}", log_dir, env) for letter in "ab"]
    client: SpindriftClient | None = None
    try:
        for scorer in scorers:
            scorer.wait_ready()
        wait_for_partitions(scorers, total=4)
        client = SpindriftClient(kafka_settings, requests_topic=requests_topic)
        yield Serving(kafka_settings, tutorial_models, name, scorers, client)
    finally:
        if client is not None:
            client.close()
        for scorer in scorers:
            assert scorer.terminate() == 0


def has_loaded(scorer: ScorerProcess, version: int) -> bool:
    """Whether the scorer's status lists ``version`` as loaded."""
    return any(m["version"] == version and m["state"] == "loaded" for m in scorer.status()["models"])


def runs(versions: list[int | None]) -> list[int | None]:
    """The versions with repeats collapsed: [1, 1, 2, 2, 1] → [1, 2, 1]."""
    return [v for v, _group in itertools.groupby(versions)]


def test_promotion_and_rollback_under_production_load_switch_each_scorer_once_each_way(serving: Serving) -> None:
    names = {s.name for s in serving.scorers}

    def ask(i: int) -> Any:
        rows = [{"id": i, "text": TEXTS[i % len(TEXTS)]}]
        return serving.client.predict_async(serving.name, rows, version="production", timeout=REPLY_TIMEOUT_S)

    def last_by_each_scorer_are(version: int) -> Any:
        def check(done: list[Prediction]) -> bool:
            return all(
                len(mine := [p.version for p in done if p.scorer == name][-10:]) == 10 and set(mine) == {version}
                for name in names
            )

        return check

    with Load(ask, interval=0.02) as load:
        load.wait_until(lambda done: {p.scorer for p in done} == names, 60, "both scorers to answer")
        # A publication alone moves no alias: production keeps answering with v1 once v2 is loaded.
        serving.publish(2)
        for scorer in serving.scorers:
            assert wait_until(lambda s=scorer: has_loaded(s, 2), 60), f"{scorer.name} did not load v2"
        loaded_at = len(load.sent)
        load.wait_until(lambda done: len(done) >= loaded_at + 20, 60, "20 replies after v2 was loaded")
        assert {p.version for p in load.answered()} == {1}, "v2 answered production before it was promoted"

        with_producer(serving.kafka, lambda p: promote(p, serving.name, 2))
        load.wait_until(last_by_each_scorer_are(2), 60, "both scorers to answer production with v2")

        state = read_registry_state(serving.kafka)
        assert with_producer(serving.kafka, lambda p: rollback(p, state, serving.name)) == 1
        load.wait_until(last_by_each_scorer_are(1), 60, "both scorers to answer production with v1 again")

    replies: list[Prediction] = load.results(timeout=REPLY_TIMEOUT_S + 5)  # raises on any error reply
    assert len(replies) == len(load.sent)
    for name in names:
        mine = [p.version for p in replies if p.scorer == name]
        assert runs(mine) == [1, 2, 1], f"{name} did not switch exactly once each way: {runs(mine)}"
    # Every reply names the version that scored it: its rows are that version's Spark rows.
    for version in (1, 2):
        sent = [{"id": i, "text": TEXTS[i % len(TEXTS)]} for i, p in enumerate(replies) if p.version == version]
        got = [p.rows[0] for p in replies if p.version == version]
        expected = serving.models.spark_outputs(version, sent)
        for i, (ours, theirs) in enumerate(zip(got, expected, strict=True)):
            assert list(ours) == list(FINAL_COLUMNS)
            for col in FINAL_COLUMNS:
                assert_close(ours[col], theirs[col], f"v{version} reply {i} {col}")
