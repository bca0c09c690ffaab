"""Fault injection against one real scorer process: poison records, oversized replies, odd clients.

Each test provokes one fault with raw records on a real broker, asserts its visible outcome
(a DLQ record or an error reply) and then that the very next normal request is served by
the same, still-running scorer. One scorer and one client are shared by the module.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from spindrift.client import SpindriftClient
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings, make_consumer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version

from .conftest import TutorialModels, manifest
from .processes import ScorerProcess, scorer_env

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

TIMEOUT_S = 30.0


@dataclass
class OneScorer:
    kafka: KafkaSettings
    name: str
    requests_topic: str
    dlq_topic: str
    scorer: ScorerProcess
    client: SpindriftClient

    def send_raw(self, value: bytes, headers: list[tuple[str, bytes]] | None = None, key: bytes | None = None) -> Any:
        """Produce ``value`` to the requests topic with kafka-python, as a foreign client would."""
        producer = make_producer(self.kafka)
        try:
            return producer.send(self.requests_topic, key=key, value=value, headers=headers or []).get(timeout=30)
        finally:
            producer.close()

    def assert_still_serving(self) -> None:
        """The next normal request is answered, by the same scorer process that met the fault."""
        prediction = self.client.predict(self.name, [{"id": 0, "text": "spark i j k"}], timeout=TIMEOUT_S)
        assert prediction.version == 1 and prediction.rows[0]["prediction"] in (0.0, 1.0)
        assert self.scorer.proc.poll() is None, self.scorer.log_text()[-3000:]


@pytest.fixture(scope="module")
def one_scorer(
    kafka_settings: KafkaSettings, tutorial_models: TutorialModels, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OneScorer]:
    suffix = uuid.uuid4().hex[:8]
    requests_topic, dlq_topic = f"score.requests.faults-{suffix}", f"score.dlq.faults-{suffix}"
    ensure_topics(kafka_settings)
    ensure_topics(kafka_settings, [TopicSpec(requests_topic, 2), TopicSpec(dlq_topic, 1)])
    name = f"faults-{suffix}"
    producer = make_producer(kafka_settings)
    try:
        publish_version(producer, manifest(name, 1), tutorial_models.dirs[1])
    finally:
        producer.close()
    env = scorer_env(
        kafka_settings,
        group_id=f"faults-{suffix}",
        requests_topic=requests_topic,
        dlq_topic=dlq_topic,
        max_request_rows="2000",
    )
    scorer = ScorerProcess(f"faulty-{suffix}", Path(tmp_path_factory.mktemp("fault-logs")), env)
    client = None
    try:
        scorer.wait_ready()
        client = SpindriftClient(kafka_settings, requests_topic=requests_topic)
        yield OneScorer(kafka_settings, name, requests_topic, dlq_topic, scorer, client)
    finally:
        if client is not None:
            client.close()
        assert scorer.terminate() == 0, scorer.log_text()[-3000:]


def read_topic(kafka: KafkaSettings, topic: str, match: Any, timeout: float = TIMEOUT_S) -> Any:
    """The first record of ``topic`` (partition 0, from the beginning) for which ``match`` is true."""
    consumer = make_consumer(kafka)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    if match(record):
                        return record
    finally:
        consumer.close()
    raise AssertionError(f"no matching record on {topic} within {timeout} s")


# --- 1. poison records ----------------------------------------------------------------------
def test_json_nested_100000_deep_is_dead_lettered_and_the_scorer_survives(one_scorer: OneScorer) -> None:
    poison = b'{"request_id":"deep","model":"m","rows":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    meta = one_scorer.send_raw(poison, [(kh.CONTENT_TYPE, b"application/json")], key=b"deep")
    dead = read_topic(one_scorer.kafka, one_scorer.dlq_topic, lambda r: r.key == b"deep")
    info = kh.read_dlq_headers(dead.headers)
    assert (info.topic, info.partition, info.offset) == (one_scorer.requests_topic, meta.partition, meta.offset)
    assert info.exception.endswith("WireError") and "nested deeper" in info.message, info
    assert dead.value == poison
    one_scorer.assert_still_serving()
