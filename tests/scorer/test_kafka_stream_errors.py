"""Stream mode's error paths: a scoring error, a record whose every event is skipped, a tombstone.

A stream scorer enriches the events of one input topic with the skipping model (two
``handleInvalid="skip"`` stages). Good events come out enriched with Spark's values, in input
order and with their keys; every other record lands on the DLQ once, saying why, and never
stops the records behind it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from kafka import TopicPartition

from spindrift import wire
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import TopicSpec, ensure_topics
from tests.kafka_user import user_consumer as make_consumer
from tests.kafka_user import user_producer as make_producer
from tests.runtime.parity import assert_close
from tests.waiting import wait_until

from .batches import good_rows
from .processes import ScorerProcess, scorer_env
from .test_kafka_batches import Published, published  # noqa: F401  (the module fixture publishing the model)

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

TIMEOUT_S = 60.0
PREDICTION = ("rawPrediction", "probability", "prediction")


def read_all(kafka: KafkaSettings, topic: str, count: int) -> list[Any]:
    """The first ``count`` records of a one-partition topic, in order."""
    consumer = make_consumer(kafka)
    out: list[Any] = []
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)

        def enough() -> bool:
            for records in consumer.poll(timeout_ms=200).values():
                out.extend(records)
            return len(out) >= count

        assert wait_until(enough, TIMEOUT_S, interval=0), f"{len(out)} of {count} records on {topic}"
    finally:
        consumer.close()
    return out


def test_stream_dead_letters_errors_skipped_records_and_tombstones_and_enriches_the_rest(
    published: Published,  # noqa: F811
) -> None:
    suffix = uuid.uuid4().hex[:8]
    in_topic, out_topic, dlq = f"events.in-{suffix}", f"events.out-{suffix}", f"events.dlq-{suffix}"
    ensure_topics(published.kafka, [TopicSpec(in_topic, 1), TopicSpec(out_topic, 1), TopicSpec(dlq, 1)])
    good = good_rows(3, 0)
    avro_rows = good_rows(3, 10)
    avro_rows[1] = dict(avro_rows[1], color="purple")  # skipped: the reply carries the two others
    producer = make_producer(published.kafka)
    try:
        sends = [
            (b"good-0", json.dumps(good[0]).encode()),
            (b"bad-text", json.dumps(dict(good[1], text=12.5)).encode()),
            (b"all-skipped", json.dumps(dict(good[1], color="mauve")).encode()),
            (b"tombstone", None),
            (b"avro", wire.encode("ScoreRequest", {"request_id": "r", "model": "ignored", "rows": avro_rows})),
            (b"good-2", json.dumps(good[2]).encode()),
        ]
        for key, value in sends:
            producer.send(in_topic, key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()
    stream = ScorerProcess(
        f"stream-errors-{suffix}",
        published.log_dir,
        scorer_env(published.kafka, dlq_topic=dlq),
        ["--stream", f"{in_topic}:{out_topic}", "--model", published.name, "--version", "1"],
    )
    try:
        stream.wait_ready()
        out = read_all(published.kafka, out_topic, 3)
        dead = read_all(published.kafka, dlq, 3)
    finally:
        assert stream.terminate() == 0

    assert [r.key for r in out] == [b"good-0", b"avro", b"good-2"]
    for record, event in ((out[0], good[0]), (out[2], good[2])):
        enriched = json.loads(record.value)
        (expected,) = published.model.spark_outputs([event])
        assert list(enriched) == [*event, *PREDICTION]
        for col in PREDICTION:
            assert_close(enriched[col], expected[col], f"{record.key!r} {col}")
    _name, reply = wire.decode(out[1].value, out[1].headers, expected="ScoreReply")
    kept = [avro_rows[0], avro_rows[2]]
    assert [r["id"] for r in reply["outcome"]["rows"]] == [r["id"] for r in kept]
    for ours, theirs in zip(reply["outcome"]["rows"], published.model.spark_outputs(avro_rows), strict=True):
        for col in PREDICTION:
            assert_close(ours[col], theirs[col], f"avro row {ours['id']} {col}")

    reasons = {r.key: kh.read_dlq_headers(r.headers) for r in dead}
    assert list(reasons) == [b"bad-text", b"all-skipped", b"tombstone"]
    assert "INVALID_INPUT" in reasons[b"bad-text"].message and "'text'" in reasons[b"bad-text"].message
    assert "filtered every event" in reasons[b"all-skipped"].message
    assert "tombstone" in reasons[b"tombstone"].message
    assert {info.topic for info in reasons.values()} == {in_topic}
