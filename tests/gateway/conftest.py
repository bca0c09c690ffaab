"""Gateway test fixtures: one topology per module (trainer, scorer, gateways) and the tutorial trained over HTTP.

Expected predictions come from Spark's own ``transform`` of the artifact the trainer published,
loaded with ``PipelineModel.load`` at test time.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from spindrift.topology import ServiceProcess, Topology
from tests.trainer.tutorial import TRAINING_ROWS, tutorial_spec
from tests.waiting import wait_until

API_KEYS = "k-all=train,admin,score;k-score=score"


@dataclass
class Gateways:
    """The module's topology and its gateways."""

    topology: Topology
    main: ServiceProcess
    second: ServiceProcess
    slow: ServiceProcess
    """Writes to a requests topic no scorer reads, with a 1 s reply timeout (for 504)."""
    secured: ServiceProcess
    """Needs API keys (API_KEYS)."""
    scorer_group: str

    def client(self, gateway: ServiceProcess | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client for ``gateway`` (default: the main one)."""
        return httpx.Client(base_url=(gateway or self.main).health_url, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def gateways(kafka_settings, tmp_path_factory) -> Iterator[Gateways]:
    """A trainer, a scorer and four gateways on the session's broker; stopped after the module."""
    topology = Topology(kafka_settings, work_dir=tmp_path_factory.mktemp("gateway-topology"))
    group = f"gw-scorers-{uuid.uuid4().hex[:8]}"
    try:
        topology.start_trainer(
            TRAINER_GROUP_ID=f"gw-trainers-{uuid.uuid4().hex[:8]}",
            TRAINER_FUNCTIONS_MODULE="tests.trainer.functions",
            TRAINER_PROGRESS_INTERVAL_S="0.5",
        )
        topology.start_scorer(SCORER_GROUP_ID=group)
        common = {"GATEWAY_SCORER_GROUP_ID": group}
        main = topology.start_gateway(
            "gateway-main",
            GATEWAY_MAX_ROWS="50",
            GATEWAY_MAX_BODY_BYTES="65536",
            GATEWAY_PREDICT_TIMEOUT_S="30",
            **common,
        )
        second = topology.start_gateway("gateway-second", GATEWAY_PREDICT_TIMEOUT_S="30", **common)
        slow = topology.start_gateway(
            "gateway-slow",
            GATEWAY_REQUESTS_TOPIC=f"score.requests.nobody-{uuid.uuid4().hex[:6]}",
            GATEWAY_PREDICT_TIMEOUT_S="1",
            **common,
        )
        secured = topology.start_gateway("gateway-secured", GATEWAY_API_KEYS=API_KEYS, **common)
        topology.wait_ready(300)
        yield Gateways(topology, main, second, slow, secured, group)
    finally:
        topology.stop()


def read_sse(response: httpx.Response, timeout: float) -> list[dict[str, Any]]:
    """Every server-sent event of a streamed response, until the server ends the stream.

    The server pings every 15 s, so a stream that never ends still yields lines: the deadline
    is checked on each, and passing it fails the test with the events seen so far.
    """
    deadline = time.monotonic() + timeout
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise AssertionError(f"the event stream did not end within {timeout:.0f} s; events so far: {events}")
        if not line:
            if "data" in current:
                events.append(current)
            current = {}
        elif line.startswith(":"):
            continue  # a keep-alive comment
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            current[field] = json.loads(value) if field == "data" else value
    if "data" in current:
        events.append(current)
    return events


def run_job(http: httpx.Client, spec: dict[str, Any], timeout: float = 240) -> tuple[str, list[dict[str, Any]]]:
    """Submit ``spec`` over HTTP, follow its SSE stream to the end; (job id, SSE events)."""
    accepted = http.post("/v1/jobs", json=spec)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    with http.stream("GET", f"/v1/jobs/{job_id}/events", timeout=60) as stream:
        assert stream.status_code == 200
        events = read_sse(stream, timeout)
    return job_id, events


@dataclass
class Trained:
    """The tutorial model trained through the gateway: v1 (the tutorial) and v2 (labels flipped)."""

    name: str
    job_id: str
    sse: list[dict[str, Any]]
    v2_job_id: str
    spark_models: dict[int, Any]


@pytest.fixture(scope="module")
def trained(gateways: Gateways, spark, tmp_path_factory) -> Trained:
    """Train the tutorial twice over HTTP (v2 learns the opposite labels) and load both artifacts in Spark."""
    from pyspark.ml import PipelineModel

    from spindrift.kafka.settings import KafkaSettings
    from spindrift.registry.follower import RegistryFollower

    name = f"tutorial-{uuid.uuid4().hex[:8]}"
    try:
        with gateways.client() as http:
            job_id, sse = run_job(http, tutorial_spec(name, evaluation={"metric": "areaUnderROC"}))
            flipped = [{**row, "label": 1.0 - row["label"]} for row in TRAINING_ROWS]
            v2_job_id, v2_sse = run_job(http, tutorial_spec(name, data={"rows": flipped}))
    except AssertionError as exc:
        trainer = next(s for s in gateways.topology.services if s.module == "services.trainer")
        raise AssertionError(f"{exc}\ntrainer log:\n{trainer.log_tail(40)}") from None
    assert sse[-1]["event"] == "published", sse[-1]
    assert v2_sse[-1]["event"] == "published", v2_sse[-1]
    kafka = KafkaSettings(bootstrap_servers=gateways.main.env["KAFKA_BOOTSTRAP_SERVERS"])
    models = {}
    with RegistryFollower(kafka, tmp_path_factory.mktemp("gateway-artifacts")) as follower:
        assert follower.wait_caught_up(60)
        for version in (1, 2):
            assert wait_until(lambda v=version: follower.model_dir(name, v) is not None, 60), follower.failures
            models[version] = PipelineModel.load(str(follower.model_dir(name, version)))
    return Trained(name, job_id, sse, v2_job_id, models)
