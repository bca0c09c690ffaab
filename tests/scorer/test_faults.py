"""Fault injection against one real scorer process: poison records, oversized replies, odd clients.

Each test provokes one fault with raw records on a real broker, asserts its visible outcome
(a DLQ record or an error reply) and then that the very next normal request is served by
the same, still-running scorer. One scorer and one client are shared by the module.
"""

from __future__ import annotations

import json
import re
import struct
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from spindrift import wire
from spindrift.client import ScoringError, SpindriftClient
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings, close_producer
from spindrift.kafka.settings import make_producer as registry_producer  # Spindrift's own (librdkafka)
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version
from tests.kafka_user import user_consumer as make_consumer  # a user's clients, kafka-python
from tests.kafka_user import user_producer as make_producer
from tests.waiting import wait_until

from .conftest import TutorialModels, manifest
from .processes import ScorerProcess, read_topic, scorer_env

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
    producer = registry_producer(kafka_settings)
    try:
        publish_version(producer, manifest(name, 1), tutorial_models.dirs[1])
    finally:
        close_producer(producer, 5)
    env = scorer_env(
        kafka_settings,
        group_id=f"faults-{suffix}",
        requests_topic=requests_topic,
        dlq_topic=dlq_topic,
        max_request_rows="2000",
        max_request_bytes="500000",
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


# --- 2. oversized replies and request limits ------------------------------------------------
def distinct_words(n: int) -> str:
    """``n`` different words: tokens and hashed features both grow with n, so the reply is larger than the request."""
    return " ".join(f"w{i}" for i in range(n))


def test_a_reply_over_the_size_limit_gets_reply_too_large_and_batch_mates_one_reply(one_scorer: OneScorer) -> None:
    client = one_scorer.client
    big_row = {"id": 1, "text": distinct_words(60_000)}  # ~420 KB in, well over 1 MB out
    duplicates_before = client.duplicate_replies
    # Same key → same partition, so the request behind it is very likely in the same batch.
    # Every column out (the tokens and the hashed vector too): the default, the final stage's outputs, is small.
    big = client.predict_async(one_scorer.name, [big_row], key="big", timeout=TIMEOUT_S, outputs=["*"])
    mates = [
        client.predict_async(one_scorer.name, [{"id": i, "text": "spark"}], key="big", timeout=TIMEOUT_S)
        for i in range(3)
    ]
    with pytest.raises(ScoringError) as refused:
        big.result(timeout=TIMEOUT_S + 5)
    assert refused.value.code == "REPLY_TOO_LARGE", refused.value
    message = refused.value.message
    assert "1000000-byte limit" in message and "fewer rows" in message and "fewer outputs" in message, message
    size = int(re.search(r"the reply is (\d+) bytes", message).group(1))  # type: ignore[union-attr]
    assert size > 1_000_000
    assert all(f.result(timeout=TIMEOUT_S + 5).version == 1 for f in mates)
    one_scorer.assert_still_serving()
    metrics = one_scorer.scorer.http_text("/metrics")
    assert "spindrift_scorer_reply_failures_total 0.0" in metrics  # never taken for a missing ack
    assert client.duplicate_replies == duplicates_before  # nobody was answered twice


def test_a_reply_the_broker_refuses_gets_reply_too_large_and_the_partition_moves_on(one_scorer: OneScorer) -> None:
    # The reply topic accepts at most 20 kB: librdkafka's own check passes, the broker says MSG_SIZE_TOO_LARGE.
    reply_topic = f"replies.small-{uuid.uuid4().hex[:8]}"
    ensure_topics(one_scorer.kafka, [TopicSpec(reply_topic, 1, {"max.message.bytes": "20000"})])
    rows = [{"id": i, "text": distinct_words(50)} for i in range(40)]
    body = {"request_id": "small-topic", "model": one_scorer.name, "rows": rows, "outputs": ["*"]}
    headers = [
        (kh.CONTENT_TYPE, b"application/json"),
        (kh.REPLY_TOPIC, reply_topic.encode()),
        (kh.CORRELATION_ID, b"small-topic"),
    ]
    one_scorer.send_raw(json.dumps(body).encode(), headers, key=b"small")
    reply = json.loads(read_topic(one_scorer.kafka, reply_topic, lambda r: True).value)
    assert reply["outcome"]["code"] == "REPLY_TOO_LARGE", reply
    assert "what the broker accepts" in reply["outcome"]["message"] and "fewer rows" in reply["outcome"]["message"]
    one_scorer.assert_still_serving()


def test_requests_over_the_row_or_byte_limits_get_invalid_input_naming_the_setting(one_scorer: OneScorer) -> None:
    with pytest.raises(ScoringError) as too_many:
        one_scorer.client.predict(one_scorer.name, [{"id": 0, "text": "x"}] * 2001, timeout=TIMEOUT_S)
    assert too_many.value.code == "INVALID_INPUT"
    assert "2001 rows" in too_many.value.message and "SCORER_MAX_REQUEST_ROWS" in too_many.value.message
    with pytest.raises(ScoringError) as too_big:
        one_scorer.client.predict(one_scorer.name, [{"id": 0, "text": "y" * 600_000}], timeout=TIMEOUT_S)
    assert too_big.value.code == "INVALID_INPUT" and "SCORER_MAX_REQUEST_BYTES" in too_big.value.message
    one_scorer.assert_still_serving()


# --- 4. interop: Spring without content-type, kafka_replyPartition, strict JSON, late replies --------
def test_spring_json_without_content_type_is_answered_on_its_reply_partition_in_strict_json(
    one_scorer: OneScorer,
) -> None:
    reply_topic = f"replies.spring-{uuid.uuid4().hex[:8]}"
    ensure_topics(one_scorer.kafka, [TopicSpec(reply_topic, 3)])
    correlation = uuid.uuid4().bytes
    # Python writes a bare NaN token, as lenient JSON writers do; the echoed column must come back strict.
    body = {
        "request_id": "spring-1",
        "model": one_scorer.name,
        "rows": [{"id": 0, "text": "spark", "w": float("nan")}],
        "outputs": ["w", "prediction"],
    }
    headers = [
        ("__TypeId__", b"com.example.ScoreRequest"),  # what Spring's JsonSerializer adds; no content-type
        (kh.REPLY_TOPIC, reply_topic.encode()),
        (kh.REPLY_PARTITION, struct.pack(">i", 2)),
        (kh.CORRELATION_ID, correlation),
    ]
    one_scorer.send_raw(json.dumps(body).encode(), headers, key=b"spring")
    consumer = make_consumer(one_scorer.kafka)
    try:
        tp = TopicPartition(reply_topic, 2)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        deadline = time.monotonic() + TIMEOUT_S
        records: list[Any] = []
        while not records and time.monotonic() < deadline:
            records = [r for batch in consumer.poll(timeout_ms=200).values() for r in batch]
    finally:
        consumer.close()
    assert records, f"no reply on partition 2 of {reply_topic}"
    record = records[0]
    assert kh.get_header(record.headers, kh.CORRELATION_ID) == correlation
    assert kh.get_header_str(record.headers, kh.CONTENT_TYPE) == "application/json"
    reply = json.loads(record.value, parse_constant=lambda token: pytest.fail(f"bare {token} in the reply"))
    row = reply["outcome"]["rows"][0]
    assert row["w"] == "NaN" and row["prediction"] in (0.0, 1.0), reply
    one_scorer.assert_still_serving()


def test_a_reply_after_the_timeout_counts_as_late_not_duplicate(one_scorer: OneScorer) -> None:
    nobody = f"score.requests.nobody-{uuid.uuid4().hex[:8]}"  # no scorer reads it: replies are written by hand
    ensure_topics(one_scorer.kafka, [nobody])
    with SpindriftClient(one_scorer.kafka, requests_topic=nobody) as client:
        with pytest.raises(TimeoutError):
            client.predict(one_scorer.name, [{"text": "spark"}], timeout=0.5)
        request = read_topic(one_scorer.kafka, nobody, lambda r: True)
        _name, body = wire.decode(request.value, request.headers, expected="ScoreRequest")
        assert body["deadline_ms"] == body["sent_at_ms"] + 500, "the SDK's deadline is its send time + timeout"
        reply = wire.encode(
            "ScoreReply",
            {"request_id": body["request_id"], "model": one_scorer.name, "outcome": {"rows": [{"prediction": 1.0}]}},
        )
        producer = make_producer(one_scorer.kafka)
        try:
            for _ in range(2):  # the late reply, then a re-delivered copy of it
                producer.send(
                    client.reply_topic, value=reply, headers=[(kh.CORRELATION_ID, body["request_id"].encode())]
                ).get(timeout=30)
        finally:
            producer.close()
        assert wait_until(lambda: client.late_replies + client.duplicate_replies >= 2, TIMEOUT_S)
        assert (client.late_replies, client.duplicate_replies) == (1, 1)
    one_scorer.assert_still_serving()


# --- 5. deadlines ----------------------------------------------------------------------------
def test_requests_past_their_deadline_get_timeout_unscored_in_json_and_avro(one_scorer: OneScorer) -> None:
    reply_topic = f"replies.deadline-{uuid.uuid4().hex[:8]}"
    ensure_topics(one_scorer.kafka, [reply_topic])
    expired_before = _expired_total(one_scorer)
    past, future = int(time.time() * 1000) - 60_000, int(time.time() * 1000) + 600_000
    row = {"id": 0, "text": "spark i j k"}
    # Header-less JSON (as Spring sends it) and Avro, each once expired and once still wanted, in that order.
    sends = [
        (
            "json-late",
            json.dumps(
                {"request_id": "json-late", "model": one_scorer.name, "rows": [row], "deadline_ms": past}
            ).encode(),
        ),
        (
            "json-wanted",
            json.dumps(
                {"request_id": "json-wanted", "model": one_scorer.name, "rows": [row], "deadline_ms": future}
            ).encode(),
        ),
        (
            "avro-late",
            wire.encode(
                "ScoreRequest",
                {"request_id": "avro-late", "model": one_scorer.name, "rows": [row], "deadline_ms": past},
            ),
        ),
        (
            "avro-wanted",
            wire.encode(
                "ScoreRequest",
                {"request_id": "avro-wanted", "model": one_scorer.name, "rows": [row], "deadline_ms": future},
            ),
        ),
    ]
    for request_id, value in sends:
        headers = [(kh.REPLY_TOPIC, reply_topic.encode()), (kh.CORRELATION_ID, request_id.encode())]
        one_scorer.send_raw(value, headers, key=b"deadline")
    replies: dict[str, Any] = {}

    def all_replied() -> bool:
        for record in _poll_all(one_scorer.kafka, reply_topic):
            _name, reply = wire.decode(record.value, record.headers, expected="ScoreReply")
            replies[reply["request_id"]] = reply
        return len(replies) == len(sends)

    assert wait_until(all_replied, TIMEOUT_S), f"replies so far: {sorted(replies)}"
    for late in ("json-late", "avro-late"):
        outcome = replies[late]["outcome"]
        assert outcome["code"] == "TIMEOUT" and "deadline passed" in outcome["message"], replies[late]
        assert replies[late]["version"] is None  # not scored: no model version touched it
    for wanted in ("json-wanted", "avro-wanted"):
        assert replies[wanted]["version"] == 1 and replies[wanted]["outcome"]["rows"][0]["prediction"] in (0.0, 1.0)
    assert wait_until(lambda: _expired_total(one_scorer) - expired_before == 2.0, TIMEOUT_S), _expired_total(one_scorer)
    one_scorer.assert_still_serving()


def _expired_total(one_scorer: OneScorer) -> float:
    match = re.search(r"^spindrift_scorer_expired_requests_total (\S+)$", one_scorer.scorer.http_text("/metrics"), re.M)
    assert match, "the scorer exposes spindrift_scorer_expired_requests_total"
    return float(match.group(1))


def _poll_all(kafka: KafkaSettings, topic: str) -> list[Any]:
    """Every record of partition 0 of ``topic`` so far."""
    consumer = make_consumer(kafka)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        return [r for batch in consumer.poll(timeout_ms=1000).values() for r in batch]
    finally:
        consumer.close()
