"""A gateway whose Kafka goes away after it started answers 503 with a message, not 504 or 500."""

from __future__ import annotations

import httpx
import pytest

from spindrift.kafka.embedded import EmbeddedKafka
from spindrift.topology import Topology
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_losing_kafka_after_start_turns_requests_into_503(tmp_path) -> None:
    broker = EmbeddedKafka()
    broker.start()
    topology = Topology(broker.settings(), work_dir=tmp_path)
    try:
        gateway = topology.start_gateway("gateway-losing-kafka")
        gateway.wait_ready(60)
        with httpx.Client(base_url=gateway.health_url, timeout=30) as http:
            assert http.get("/v1/jobs").status_code == 200
            broker.stop()
            assert wait_until(lambda: http.get("/v1/jobs").status_code == 503, 30, interval=0.2)
            predict = http.post("/v1/models/any/predict", json={"rows": [{"text": "a"}]})
            ready = http.get("/v2/health/ready")
    finally:
        topology.stop()
        broker.stop()
    assert predict.status_code == 503 and "did not answer" in predict.json()["error"]
    assert ready.status_code == 503 and ready.json()["ready"] is False
