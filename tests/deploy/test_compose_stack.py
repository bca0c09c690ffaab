"""The compose stack for real: built, started, trained, scored, scraped and queried, then removed.

Sets up a Docker engine with tools/docker-engine.sh when none answers; where none can run,
every test here is skipped with a one-line reason. The stack gets its own project name and
free ports, so a developer's own ``docker compose up`` is left alone.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from dashboards.generate import expressions
from spindrift import wire
from spindrift.demo import TEST_DOCUMENTS, tutorial_spec
from spindrift.jobs import follow_job, submit_training
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import SCORE_REQUESTS, TopicSpec, ensure_topics
from tests.waiting import wait_until

from .compose_stack import Stack, ensure_engine

pytestmark = [pytest.mark.compose, pytest.mark.slow, pytest.mark.timeout(1500)]

MODEL = "tutorial"
# Spark's documented output of its pipeline example for the four test documents.
TUTORIAL_PREDICTIONS = [0.0, 0.0, 1.0, 0.0]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """The whole stack, up and healthy, from a clean state; removed with its volumes afterwards."""
    problem = ensure_engine()
    if problem:
        pytest.skip(f"no Docker engine can run here: {problem}")
    stack = Stack()
    try:
        stack.up()
    except Exception:
        print(stack.logs())
        stack.down()
        raise
    yield stack
    stack.down()


@pytest.fixture(scope="module")
def kafka(stack: Stack) -> KafkaSettings:
    """Client settings for the stack's broker as seen from the host."""
    return KafkaSettings(bootstrap_servers=stack.bootstrap)


@pytest.fixture(scope="module")
def trained_version(stack: Stack, kafka: KafkaSettings) -> int:
    """The tutorial, trained in the stack's trainer and published as servable; its version.

    Submitted through the gateway when the stack has one, else straight to Kafka.
    """
    if stack.has_gateway:
        return _train_through_gateway(stack)
    job_id = submit_training(kafka, tutorial_spec(MODEL), job_id=f"compose-{uuid.uuid4().hex[:8]}")
    final = follow_job(kafka, job_id, timeout=600)
    details = final.details or {}
    if final.type != "PUBLISHED" or not details.get("servable"):
        print(stack.logs())
    assert final.type == "PUBLISHED", final.message
    assert details.get("servable"), final.message
    return int(details["version"])


def _train_through_gateway(stack: Stack) -> int:
    import httpx

    with httpx.Client(base_url=stack.gateway_url, headers=stack.gateway_auth, timeout=30) as http:
        accepted = http.post("/v1/jobs", json=tutorial_spec(MODEL))
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["job_id"]
        job: dict[str, Any] = {}

        def finished() -> bool:
            job.update(http.get(f"/v1/jobs/{job_id}").json())
            return job.get("state") in {"succeeded", "failed", "cancelled"}

        assert wait_until(finished, timeout=600, interval=1), job
    if job["state"] != "succeeded" or not job.get("servable"):
        print(stack.logs())
    assert job["state"] == "succeeded", job
    assert job.get("servable"), job
    return int(job["model"]["version"])


def _score_with_kafka_python(kafka: KafkaSettings, records: list[dict[str, Any]], raw: list[bytes]) -> list[dict]:
    """Send requests with a plain kafka-python producer and read their replies from a fresh reply topic."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    reply_topic = f"score.replies.compose-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka, [TopicSpec(reply_topic, 1)])
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest")
    consumer.assign([TopicPartition(reply_topic, 0)])
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    try:
        for record in records:
            record = {**record, "reply_topic": reply_topic, "sent_at_ms": int(time.time() * 1000)}
            headers = [(kh.REPLY_TOPIC, reply_topic.encode()), (kh.CORRELATION_ID, record["request_id"].encode())]
            producer.send(SCORE_REQUESTS, wire.encode("ScoreRequest", record), headers=headers)
        for value in raw:  # undecodable on purpose: these must end up on the dead-letter topic
            producer.send(SCORE_REQUESTS, value, headers=[(kh.REPLY_TOPIC, reply_topic.encode())])
        producer.flush(timeout=30)
        replies: dict[str, dict] = {}

        def all_replied() -> bool:
            for batch in consumer.poll(timeout_ms=500).values():
                for message in batch:
                    _, reply = wire.decode(message.value, message.headers, "ScoreReply")
                    replies[reply["request_id"]] = reply
            return len(replies) >= len(records)

        assert wait_until(all_replied, timeout=90, interval=0), f"replies: {sorted(replies)}"
        return [replies[r["request_id"]] for r in records]
    finally:
        producer.close()
        consumer.close()


@pytest.fixture(scope="module")
def kafka_replies(kafka: KafkaSettings, trained_version: int) -> list[dict]:
    """Replies to the test documents, one request for an unknown model, and one garbage record for the DLQ."""
    records: list[dict[str, Any]] = [
        {"request_id": f"doc-{i}", "model": MODEL, "version": str(trained_version), "rows": [{"text": text}]}
        for i, text in enumerate(TEST_DOCUMENTS)
    ]
    records.append({"request_id": "unknown-model", "model": "no-such-model", "version": None, "rows": [{"x": 1}]})
    return _score_with_kafka_python(kafka, records, raw=[b"not an avro message"])


def test_scores_the_tutorial_through_a_kafka_python_producer(kafka_replies: list[dict], trained_version: int) -> None:
    scored = kafka_replies[: len(TEST_DOCUMENTS)]
    assert all("rows" in r["outcome"] for r in scored), scored
    assert {r["version"] for r in scored} == {trained_version}
    predictions = [r["outcome"]["rows"][0]["prediction"] for r in scored]
    assert predictions == TUTORIAL_PREDICTIONS


def test_unknown_model_gets_an_error_reply(kafka_replies: list[dict]) -> None:
    assert kafka_replies[-1]["outcome"]["code"] == "UNKNOWN_MODEL"


def test_scores_the_tutorial_through_the_gateway(stack: Stack, trained_version: int) -> None:
    if not stack.has_gateway:
        pytest.skip("docker-compose.yml has no gateway service yet (the gateway has not landed)")
    import httpx

    response = httpx.post(
        f"{stack.gateway_url}/v1/models/{MODEL}/predict",
        json={"rows": [{"text": t} for t in TEST_DOCUMENTS], "version": trained_version},
        headers=stack.gateway_auth,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == trained_version
    assert [row["prediction"] for row in body["predictions"]] == TUTORIAL_PREDICTIONS


def test_prometheus_scrapes_every_service_and_both_scorers(stack: Stack, kafka_replies: list[dict]) -> None:
    expected_jobs = {"scorer", "trainer", "prometheus"} | ({"gateway"} if stack.has_gateway else set())

    def all_up() -> bool:
        targets = stack.prometheus("/api/v1/targets")["activeTargets"]
        up = [t for t in targets if t["health"] == "up"]
        jobs = {t["labels"]["job"] for t in up}
        scorers = sum(1 for t in up if t["labels"]["job"] == "scorer")
        return len(up) == len(targets) and jobs == expected_jobs and scorers == 2

    assert wait_until(all_up, timeout=60, interval=1), stack.prometheus("/api/v1/targets")["activeTargets"]


def test_every_dashboard_expression_returns_data(stack: Stack, kafka_replies: list[dict]) -> None:
    # rate() needs two scrapes after the traffic above (scrape interval 5 s): wait for them, not a fixed time.
    missing: list[str] = []

    def every_query_answers() -> bool:
        missing[:] = [expr for expr in expressions() if not stack.query(expr)]
        return not missing

    assert wait_until(every_query_answers, timeout=90, interval=2), f"no data for: {missing}"


def test_promtool_finds_no_problem_in_any_service_metrics(stack: Stack, kafka_replies: list[dict]) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is missing: apt-get install prometheus (tools/docker-engine.sh up does)")
    pages = {f"scorer#{i}": stack.service_metrics("scorer", 9100, i) for i in (1, 2)}
    pages["trainer"] = stack.service_metrics("trainer", 9100)
    if stack.has_gateway:
        pages["gateway"] = stack.service_metrics("gateway", 8080)
    problems = {}
    for name, text in pages.items():
        assert "spindrift_" in text, f"{name} exposes no spindrift_ metric"
        result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        if result.returncode != 0 or result.stdout.strip() or result.stderr.strip():
            problems[name] = (result.stdout + result.stderr).strip()
    assert not problems, problems


def test_only_the_trainer_image_carries_pyspark_and_a_jvm(stack: Stack) -> None:
    probe = "import importlib.util, shutil; print(importlib.util.find_spec('pyspark') is not None, shutil.which('java') is not None)"
    found = {
        service: stack.compose("exec", "-T", service, "python3", "-c", probe).stdout.split()
        for service in ("scorer", "gateway", "trainer")
    }
    assert found == {"scorer": ["False", "False"], "gateway": ["False", "False"], "trainer": ["True", "True"]}, found
