"""The HTTP gateway against a running topology: the tutorial trained and scored over HTTP, errors, security, fuzzing.

One topology (a trainer, a scorer, four gateways) and one trained model (two versions) are
shared by the whole module; see conftest.py.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from spindrift.topology import REPO_ROOT, free_port
from tests.trainer.tutorial import TEST_TEXTS
from tests.waiting import wait_until

from .conftest import Gateways, Trained

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]


def spark_expected(trained: Trained, spark: Any, version: int, texts: list[str]) -> list[Any]:
    """Spark's own transform of ``texts`` with the published artifact of ``version``."""
    frame = spark.createDataFrame([(t,) for t in texts], ["text"])
    return trained.spark_models[version].transform(frame).collect()


def assert_same_as_spark(predictions: list[dict[str, Any]], expected: list[Any]) -> None:
    assert len(predictions) == len(expected)
    for ours, theirs in zip(predictions, expected, strict=True):
        assert ours["prediction"] == theirs.prediction
        for a, b in zip(ours["probability"], theirs.probability.toArray().tolist(), strict=True):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# -- training over HTTP ----------------------------------------------------------------------------


def test_sse_events_arrive_in_order_and_the_stream_ends_with_the_job(trained: Trained) -> None:
    seqs = [int(e["id"]) for e in trained.sse]
    assert seqs == list(range(len(seqs)))
    types = [e["event"] for e in trained.sse]
    assert types[0] == "queued" and types[-1] == "published"
    assert types.index("evaluated") < types.index("certified") < types.index("published")
    assert [e["data"]["seq"] for e in trained.sse] == seqs


def test_the_job_resource_shows_the_published_model(gateways: Gateways, trained: Trained) -> None:
    with gateways.client() as http:
        job = http.get(f"/v1/jobs/{trained.job_id}").json()
    assert job["state"] == "succeeded" and job["kind"] == "train"
    assert job["model"] == {"name": trained.name, "version": 1}
    assert job["servable"] is True and job["reason"] is None and job["error"] is None
    assert 0.0 <= job["metrics"]["areaUnderROC"] <= 1.0
    assert [e["seq"] for e in job["events"]] == list(range(len(trained.sse)))


def test_jobs_are_listed_by_state_and_model_page_by_page(gateways: Gateways, trained: Trained) -> None:
    with gateways.client() as http:
        listed = http.get("/v1/jobs", params={"model": trained.name, "state": "succeeded"}).json()
        first = http.get("/v1/jobs", params={"model": trained.name, "limit": 1}).json()
        second = httpx.get(first["next"], timeout=30).json()
        none_failed = http.get("/v1/jobs", params={"model": trained.name, "state": "failed"}).json()
    assert {j["job_id"] for j in listed["jobs"]} == {trained.job_id, trained.v2_job_id}
    assert first["total"] == 2 and len(first["jobs"]) == 1 and first["jobs"][0]["job_id"] == trained.v2_job_id
    assert [j["job_id"] for j in second["jobs"]] == [trained.job_id] and second["next"] is None
    assert none_failed["total"] == 0


def test_a_spec_the_trainer_would_reject_is_a_422_with_its_message_and_nothing_is_queued(gateways: Gateways) -> None:
    name = f"rejected-{uuid.uuid4().hex[:6]}"
    bad = {"model": name, "pipeline": [{"stage": "Tokenizr", "params": {}}], "data": {"rows": [{"text": "a"}]}}
    with gateways.client() as http:
        response = http.post("/v1/jobs", json=bad)
        listed = http.get("/v1/jobs", params={"model": name}).json()
    assert response.status_code == 422
    assert "'Tokenizr' is not an allowed stage. Did you mean 'Tokenizer'?" in response.json()["error"]
    assert listed["total"] == 0


def test_a_pipeline_that_could_not_be_served_is_a_422_naming_the_stage_before_anything_is_queued(
    gateways: Gateways,
) -> None:
    name = f"unservable-{uuid.uuid4().hex[:6]}"
    lda = {"model": name, "pipeline": [{"stage": "LDA", "params": {"k": 2}}], "data": {"rows": [{"features": [1.0]}]}}
    with gateways.client() as http:
        response = http.post("/v1/jobs", json=lda)
        listed = http.get("/v1/jobs", params={"model": name}).json()
    assert response.status_code == 422
    assert "pipeline[0] (LDA) is saved as DistributedLDAModel" in response.json()["error"]
    assert listed["total"] == 0


def test_cancelling_a_running_job_ends_it_cancelled(gateways: Gateways) -> None:
    spec = {"model": f"sleepy-{uuid.uuid4().hex[:6]}", "function": "sleepy_tutorial", "params": {"sleep_s": 300}}
    with gateways.client() as http:
        job_id = http.post("/v1/jobs", json=spec).json()["job_id"]
        assert wait_until(lambda: http.get(f"/v1/jobs/{job_id}").json()["state"] == "running", 120)
        cancelled = http.delete(f"/v1/jobs/{job_id}")
        assert cancelled.status_code == 202
        assert wait_until(lambda: http.get(f"/v1/jobs/{job_id}").json()["state"] == "cancelled", 120, interval=0.2)
        again = http.delete(f"/v1/jobs/{job_id}")
    assert again.status_code == 409 and "already ended (cancelled)" in again.json()["error"]


# -- models ------------------------------------------------------------------------------------------


def test_the_model_resource_lists_versions_schemas_metrics_and_parity(gateways: Gateways, trained: Trained) -> None:
    with gateways.client() as http:
        model = http.get(f"/v1/models/{trained.name}").json()
        listed = http.get("/v1/models").json()
    first = model["versions"][0]
    assert [v["version"] for v in model["versions"]] == [1, 2]
    assert first["servable"] is True and first["reason"] is None and len(first["sha256"]) == 64
    assert [f["name"] for f in first["input_schema"]] == ["text"]
    assert "prediction" in [f["name"] for f in first["output_schema"]]
    assert 0.0 <= first["metrics"]["areaUnderROC"] <= 1.0
    assert first["parity"]["servable"] is True and first["parity"]["exact_match_rate"]["prediction"] == 1.0
    assert first["job_id"] == trained.job_id
    assert trained.name in [m["name"] for m in listed["models"]]


def test_promoting_an_alias_changes_what_predict_without_a_version_answers(
    gateways: Gateways, trained: Trained
) -> None:
    rows = {"rows": [{"text": TEST_TEXTS[0]}]}
    with gateways.client() as http:
        for target in (1, 2):
            put = http.put(f"/v1/models/{trained.name}/aliases/production", json={"version": target})
            assert put.status_code == 200 and put.json()["version"] == target
            assert http.get(f"/v1/models/{trained.name}").json()["aliases"]["production"] == target
            assert wait_until(
                lambda t=target: http.post(f"/v1/models/{trained.name}/predict", json=rows).json()["version"] == t,
                30,
                interval=0.2,
            ), f"predict without a version never answered with v{target}"
        missing = http.put(f"/v1/models/{trained.name}/aliases/production", json={"version": 99})
    assert missing.status_code == 404


# -- scoring ---------------------------------------------------------------------------------------


def test_v1_predict_answers_with_sparks_exact_predictions(gateways: Gateways, trained: Trained, spark: Any) -> None:
    with gateways.client() as http:
        response = http.post(
            f"/v1/models/{trained.name}/predict", json={"rows": [{"text": t} for t in TEST_TEXTS], "version": "1"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == trained.name and body["version"] == 1
    assert_same_as_spark(body["predictions"], spark_expected(trained, spark, 1, TEST_TEXTS))


def test_outputs_pick_the_returned_columns(gateways: Gateways, trained: Trained) -> None:
    url = f"/v1/models/{trained.name}/predict"
    rows = [{"text": TEST_TEXTS[0]}]
    with gateways.client() as http:
        default = http.post(url, json={"rows": rows, "version": 1}).json()["predictions"][0]
        picked = http.post(url, json={"rows": rows, "version": 1, "outputs": ["prediction"]}).json()["predictions"][0]
        everything = http.post(url, json={"rows": rows, "version": 1, "outputs": "all"}).json()["predictions"][0]
        unknown = http.post(url, json={"rows": rows, "version": 1, "outputs": ["nope"]})
    assert set(default) == {"rawPrediction", "probability", "prediction"}
    assert set(picked) == {"prediction"}
    assert {"text", "words", "features", "prediction"} <= set(everything)
    assert unknown.status_code == 422 and "nope" in unknown.json()["error"]


def test_v2_infer_answers_with_sparks_exact_predictions(gateways: Gateways, trained: Trained, spark: Any) -> None:
    request = {
        "id": "req-1",
        "inputs": [{"name": "text", "shape": [len(TEST_TEXTS)], "datatype": "BYTES", "data": TEST_TEXTS}],
    }
    with gateways.client() as http:
        response = http.post(f"/v2/models/{trained.name}/versions/1/infer", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_name"] == trained.name and body["model_version"] == "1" and body["id"] == "req-1"
    outputs = {o["name"]: o for o in body["outputs"]}
    expected = spark_expected(trained, spark, 1, TEST_TEXTS)
    n = len(TEST_TEXTS)
    assert outputs["prediction"]["datatype"] == "FP64" and outputs["prediction"]["shape"] == [n]
    assert outputs["prediction"]["data"] == [r.prediction for r in expected]
    probability = outputs["probability"]
    assert probability["datatype"] == "FP64" and probability["shape"] == [n, 2]
    flat = [x for r in expected for x in r.probability.toArray().tolist()]
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(probability["data"], flat, strict=True))


def test_v2_metadata_and_readiness_describe_the_model(gateways: Gateways, trained: Trained) -> None:
    with gateways.client() as http:
        metadata = http.get(f"/v2/models/{trained.name}").json()
        version = http.get(f"/v2/models/{trained.name}/versions/1").json()
        ready = http.get(f"/v2/models/{trained.name}/versions/1/ready")
        server = http.get("/v2/health/ready")
        unknown = http.get(f"/v2/models/{trained.name}/versions/42/ready")
    assert metadata["name"] == trained.name and metadata["versions"] == ["1", "2"]
    assert metadata["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
    assert {"name": "prediction", "datatype": "FP64", "shape": [-1]} in version["outputs"]
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert server.status_code == 200 and server.json()["ready"] is True
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}


def test_two_gateways_score_side_by_side(gateways: Gateways, trained: Trained) -> None:
    results: dict[str, list[int]] = {"main": [], "second": []}

    def hammer(label: str) -> None:
        gateway = gateways.main if label == "main" else gateways.second
        with gateways.client(gateway) as http:
            for i in range(20):
                text = TEST_TEXTS[i % len(TEST_TEXTS)]
                response = http.post(
                    f"/v1/models/{trained.name}/predict", json={"rows": [{"text": text}], "version": 1}
                )
                results[label].append(response.status_code)

    threads = [threading.Thread(target=hammer, args=(label,)) for label in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == {"main": [200] * 20, "second": [200] * 20}


# -- errors ----------------------------------------------------------------------------------------


def test_unknown_models_versions_and_jobs_are_404(gateways: Gateways, trained: Trained) -> None:
    with gateways.client() as http:
        cases = [
            http.post("/v1/models/no-such-model/predict", json={"rows": [{"text": "a"}]}),
            http.post(f"/v1/models/{trained.name}/predict", json={"rows": [{"text": "a"}], "version": "99"}),
            http.post(f"/v1/models/{trained.name}/predict", json={"rows": [{"text": "a"}], "version": "no-alias"}),
            http.get("/v1/models/no-such-model"),
            http.get("/v1/jobs/no-such-job"),
            http.get("/v1/jobs/no-such-job/events"),
            http.post(
                "/v2/models/no-such-model/infer",
                json={"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]}]},
            ),
        ]
    assert [c.status_code for c in cases] == [404] * len(cases)
    assert all(c.json()["error"] for c in cases)
    assert "99" in cases[1].json()["error"]


def test_a_missing_column_or_a_bad_value_is_a_422_naming_row_and_column(gateways: Gateways, trained: Trained) -> None:
    url = f"/v1/models/{trained.name}/predict"
    with gateways.client() as http:
        missing = http.post(url, json={"rows": [{"text": "a"}, {"txt": "b"}], "version": 1})
        bad = http.post(url, json={"rows": [{"text": "a"}, {"text": {"nested": 1}}], "version": 1})
        bad_tensor = http.post(
            f"/v2/models/{trained.name}/infer",
            json={"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["a", 3]}]},
        )
    assert missing.status_code == 422 and bad.status_code == 422 and bad_tensor.status_code == 422
    assert "row 1" in missing.json()["error"] and "text" in missing.json()["error"]
    assert "row 1" in bad.json()["error"] and "'text'" in bad.json()["error"]
    assert "element 1" in bad_tensor.json()["error"] and set(bad_tensor.json()) == {"error"}


def test_too_many_rows_or_too_large_a_body_is_413(gateways: Gateways, trained: Trained) -> None:
    url = f"/v1/models/{trained.name}/predict"
    with gateways.client() as http:
        rows = http.post(url, json={"rows": [{"text": "a"}] * 51})
        body = http.post(url, json={"rows": [{"text": "x" * 70_000}]})
        chunked = http.post(url, content=iter([b'{"rows": [{"text": "', b"y" * 70_000, b'"}]}']))
        tensor = http.post(
            f"/v2/models/{trained.name}/infer",
            json={"inputs": [{"name": "text", "shape": [51], "datatype": "BYTES", "data": ["a"] * 51}]},
        )
    assert [rows.status_code, body.status_code, chunked.status_code, tensor.status_code] == [413] * 4
    assert "GATEWAY_MAX_ROWS" in rows.json()["error"] and "GATEWAY_MAX_BODY_BYTES" in body.json()["error"]


def test_a_reply_over_the_scorers_size_limit_is_413_saying_what_to_do(gateways: Gateways, trained: Trained) -> None:
    text = " ".join(f"w{i}" for i in range(60_000))  # ~420 KB in; with every column out, over 1 MB
    with gateways.client(gateways.second) as http:
        response = http.post(f"/v1/models/{trained.name}/predict", json={"rows": [{"text": text}], "outputs": "all"})
        after = http.post(f"/v1/models/{trained.name}/predict", json={"rows": [{"text": "spark"}]})
    assert response.status_code == 413, response.text
    assert "fewer rows" in response.json()["error"] and "fewer outputs" in response.json()["error"]
    assert after.status_code == 200, after.text


def test_no_reply_in_time_is_504_and_counted(gateways: Gateways, trained: Trained) -> None:
    with gateways.client(gateways.slow) as http:
        response = http.post(f"/v1/models/{trained.name}/predict", json={"rows": [{"text": "a"}]})
        metrics = http.get("/metrics").text
    assert response.status_code == 504 and "no reply" in response.json()["error"]
    assert "spindrift_gateway_reply_timeouts_total 1.0" in metrics


def test_kafka_unreachable_is_503_with_a_message(gateways: Gateways) -> None:
    dead = f"127.0.0.1:{free_port()}"
    service = gateways.topology.start_gateway("gateway-no-kafka", KAFKA_BOOTSTRAP_SERVERS=dead)
    try:
        assert wait_until(lambda: _status(service.health_url + "/health/live") == 200, 60), service.log_tail()
        with httpx.Client(base_url=service.health_url, timeout=30) as http:
            predict = http.post("/v1/models/any/predict", json={"rows": [{"text": "a"}]})
            jobs = http.get("/v1/jobs")
            ready = http.get("/v2/health/ready")
            own_ready = http.get("/health/ready")
    finally:
        service.stop()
    assert predict.status_code == 503 and dead in predict.json()["error"]
    assert jobs.status_code == 503 and ready.status_code == 503 and own_ready.status_code == 503


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None


# -- security --------------------------------------------------------------------------------------


def test_api_keys_are_required_and_scoped(gateways: Gateways, trained: Trained) -> None:
    url = f"/v1/models/{trained.name}/predict"
    rows = {"rows": [{"text": "a"}], "version": 1}
    with gateways.client(gateways.secured) as http:
        anonymous = http.post(url, json=rows)
        wrong = http.post(url, json=rows, headers={"Authorization": "Bearer nope"})
        scored = http.post(url, json=rows, headers={"Authorization": "Bearer k-score"})
        no_admin = http.put(
            f"/v1/models/{trained.name}/aliases/staging",
            json={"version": 1},
            headers={"Authorization": "Bearer k-score"},
        )
        no_train = http.post("/v1/jobs", json={"model": "x"}, headers={"Authorization": "Bearer k-score"})
        health = http.get("/v2/health/live")
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert scored.status_code == 200
    assert no_admin.status_code == 403 and "'admin' scope" in no_admin.json()["error"]
    assert no_train.status_code == 403 and "'train' scope" in no_train.json()["error"]
    assert health.status_code == 200


def test_the_gateway_refuses_a_public_address_without_api_keys() -> None:
    env = {**os.environ, "GATEWAY_HOST": "0.0.0.0", "GATEWAY_API_KEYS": "", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "services.gateway"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("gateway: refusing to listen on 0.0.0.0 without API keys")


# -- metrics and docs -----------------------------------------------------------------------------


def test_metrics_count_requests_by_route_template_with_latency_and_in_flight(
    gateways: Gateways, trained: Trained
) -> None:
    with gateways.client() as http:
        http.post(f"/v1/models/{trained.name}/predict", json={"rows": [{"text": "a"}], "version": 1})
        text = http.get("/metrics").text
    route = 'route="/v1/models/{name}/predict"'
    assert f'spindrift_gateway_requests_total{{method="POST",{route},status="200"}}' in text
    assert f'spindrift_gateway_request_duration_seconds_bucket{{le="0.1",method="POST",{route}}}' in text
    assert "spindrift_gateway_in_flight_requests " in text
    assert trained.name not in text  # raw paths never become labels


def test_docs_and_openapi_are_served_without_external_assets(gateways: Gateways) -> None:
    with gateways.client() as http:
        docs = http.get("/docs")
        schema = http.get("/openapi.json").json()
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text
    for path in ("/v1/jobs", "/v1/models/{name}/predict", "/v2/models/{name}/infer", "/v2/health/ready"):
        assert path in schema["paths"]


# -- fuzzing ---------------------------------------------------------------------------------------


def test_no_generated_request_gets_a_5xx(gateways: Gateways, trained: Trained) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    base = gateways.main.health_url
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    server_errors: list[str] = []

    @given(case=schema.as_strategy())
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case: Any) -> None:
        response = case.call(base_url=base, timeout=30)
        if response.status_code >= 500:
            server_errors.append(f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}")

    started = time.monotonic()
    call()
    assert not server_errors, "\n".join(server_errors[:10])
    assert time.monotonic() - started < 120


# -- Kafka, as a kafka-python user would do it ------------------------------------------------------


def test_a_raw_json_request_from_kafka_python_is_answered_on_its_reply_topic(
    gateways: Gateways, trained: Trained
) -> None:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    from spindrift.kafka.settings import KafkaSettings
    from spindrift.kafka.topics import ensure_topics

    servers = gateways.main.env["KAFKA_BOOTSTRAP_SERVERS"]
    reply_topic = f"replies.kafka-python.{uuid.uuid4().hex[:8]}"
    ensure_topics(KafkaSettings(bootstrap_servers=servers), [reply_topic])
    consumer = KafkaConsumer(bootstrap_servers=servers, auto_offset_reset="earliest", consumer_timeout_ms=30_000)
    consumer.assign([TopicPartition(reply_topic, 0)])
    producer = KafkaProducer(bootstrap_servers=servers)
    correlation = uuid.uuid4().hex
    request = {"request_id": "raw-1", "model": trained.name, "version": "1", "rows": [{"text": TEST_TEXTS[0]}]}
    try:
        producer.send(
            "score.requests",
            key=b"raw-1",
            value=json.dumps(request).encode(),
            headers=[
                ("content-type", b"application/json"),
                ("kafka_replyTopic", reply_topic.encode()),
                ("kafka_correlationId", correlation.encode()),
            ],
        ).get(30)
        record = next(iter(consumer))
    finally:
        producer.close(5)
        consumer.close()
    assert dict(record.headers)["kafka_correlationId"] == correlation.encode()
    reply = json.loads(record.value)
    assert reply["request_id"] == "raw-1" and reply["version"] == 1
    outcome = reply["outcome"]
    outcome = outcome.get("io.spindrift.ScoreResult", outcome)  # Avro-JSON wraps unions; plain JSON does not
    assert outcome["rows"][0]["prediction"] in (0.0, 1.0)
