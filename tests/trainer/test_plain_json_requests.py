"""A train request written by any Kafka producer: the README's plain JSON spec trains, a malformed one is dead-lettered.

The README's train JSON is read from README.md itself (the block under "### Train"), so the
document and this test cannot drift apart; only its model name is made unique.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from services.trainer.intake import fallback_job_id
from spindrift.jobs import follow_job
from spindrift.kafka import headers as kh
from spindrift.registry.follower import RegistryFollower
from tests.docs.blocks import blocks_of
from tests.scorer.processes import read_topic
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.spark]

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_train_spec(model: str) -> dict[str, Any]:
    """The JSON block of the README's "### Train" section, with ``model`` as its model name."""
    block = next(b for b in blocks_of(README) if b.language == "json" and b.section == "Train")
    spec = json.loads(block.text)
    return {**spec, "model": model}


def _producer(kafka_settings) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)


def test_the_readmes_train_json_from_a_plain_producer_trains_and_publishes(trainer, kafka_settings, tmp_path):
    name = f"plain-json-{uuid.uuid4().hex[:8]}"
    producer = _producer(kafka_settings)
    try:
        # No key and no header: the most naive producer. The job id is where the record landed.
        sent = producer.send(trainer.settings.requests_topic, value=json.dumps(readme_train_spec(name)).encode()).get(
            timeout=30
        )
    finally:
        producer.close()
    job_id = fallback_job_id(sent.topic, sent.partition, sent.offset)
    events = []
    final = follow_job(kafka_settings, job_id, on_event=events.append, timeout=240)
    assert final.type == "PUBLISHED", final.message
    assert [e.type for e in events][0] == "STARTED" and "EVALUATED" in [e.type for e in events]
    assert final.details is not None and final.details["model"] == name and final.details["servable"] is True
    with RegistryFollower(kafka_settings, tmp_path / "artifacts") as follower:
        assert follower.wait_caught_up(60)
        version = final.details["version"]
        assert wait_until(lambda: follower.model_dir(name, version) is not None, 60), follower.failures


def test_a_keyed_json_spec_with_content_type_is_the_job_named_by_its_key(trainer, kafka_settings):
    job_id = f"kcat-style-{uuid.uuid4().hex[:8]}"
    spec = {**readme_train_spec("keyed"), "pipeline": [{"stage": "NoSuchStage", "params": {}}]}
    producer = _producer(kafka_settings)
    try:
        producer.send(
            trainer.settings.requests_topic,
            key=job_id.encode(),
            value=json.dumps(spec, indent=2).encode(),
            headers=[(kh.CONTENT_TYPE, b"application/json")],
        ).get(timeout=30)
    finally:
        producer.close()
    final = follow_job(kafka_settings, job_id, timeout=120)
    assert final.type == "FAILED" and "'NoSuchStage' is not an allowed stage" in final.message


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b'{"model": "m", "pipeline": [', "invalid train request JSON"),
        (b'{"rows": [{"text": "not a spec"}]}', 'a training spec with "model" and "pipeline"'),
        (b'{"job_id": "j", "kind": "TRAIN"}', "TrainRequest"),
    ],
    ids=["truncated-json", "not-a-spec", "incomplete-train-request"],
)
def test_a_malformed_json_request_goes_to_the_train_dlq_with_spring_headers(trainer, kafka_settings, value, says):
    marker = f"malformed-{uuid.uuid4().hex[:8]}".encode()
    producer = _producer(kafka_settings)
    try:
        producer.send(trainer.settings.requests_topic, value=value, headers=[("test-marker", marker)]).get(timeout=30)
    finally:
        producer.close()

    def is_ours(record: Any) -> bool:
        return kh.get_header(record.headers, "test-marker") == marker

    dead = read_topic(kafka_settings, trainer.settings.dlq_topic, is_ours, timeout=60)
    assert dead.value == value
    info = kh.read_dlq_headers(dead.headers)
    assert info.exception.endswith("WireError") and says in info.message, info
    assert info.topic == trainer.settings.requests_topic
