"""The seed's story on a real broker: train the tutorial, certify, publish, score over Kafka and in batch.

The trainer runs in-process (sharing the session's SparkSession); the scorer is a real
``python -m services.scorer`` subprocess. Spark's own predictions come from the published
artifact itself, loaded with ``PipelineModel.load`` at test time.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from spindrift.jobs import follow_job, submit_batch_scoring, submit_training

from .tutorial import TEST_TEXTS, tutorial_spec

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def model_name() -> str:
    return f"tutorial-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def scorer(kafka_settings, tmp_path_factory) -> Iterator[object]:
    """A scorer subprocess in its own consumer group."""
    from spindrift.topology import Topology

    topology = Topology(kafka_settings, work_dir=tmp_path_factory.mktemp("topology"))
    service = topology.start_scorer(SCORER_GROUP_ID=f"scorers-{uuid.uuid4().hex[:8]}")
    try:
        service.wait_ready(120)
        yield service
    finally:
        topology.stop()


@pytest.fixture(scope="module")
def published(trainer, kafka_settings, model_name):
    """The tutorial trained and published through the trainer; returns (final event, all events)."""
    events = []
    job_id = submit_training(kafka_settings, tutorial_spec(model_name, evaluation={"metric": "areaUnderROC"}))
    final = follow_job(kafka_settings, job_id, on_event=events.append, timeout=300)
    assert final.type == "PUBLISHED", final.message
    return final, events


@pytest.fixture(scope="module")
def spark_model(spark, kafka_settings, published, model_name, tmp_path_factory):
    """The published artifact of version 1, fetched from Kafka and loaded with Spark."""
    from pyspark.ml import PipelineModel

    from spindrift.registry.follower import RegistryFollower

    with RegistryFollower(kafka_settings, tmp_path_factory.mktemp("artifacts")) as follower:
        assert follower.wait_caught_up(60)
        version = published[0].details["version"]
        model_dir = follower.model_dir(model_name, version)
        assert model_dir is not None, follower.failures
        manifest = dict(follower.resolve(model_name, str(version)).manifest)
        return PipelineModel.load(str(model_dir)), manifest


def test_the_job_reports_every_phase_in_order(published):
    final, events = published
    types = [e.type for e in events]
    assert types[:2] == ["QUEUED", "STARTED"]
    for milestone in ("EVALUATED", "CERTIFIED", "PUBLISHED"):
        assert milestone in types
    assert types.index("EVALUATED") < types.index("CERTIFIED") < types.index("PUBLISHED")
    phases = [e.message for e in events if e.type == "PROGRESS"]
    for phase in ("loading data", "fitting", "evaluating", "certifying", "publishing"):
        assert any(m.startswith(phase) for m in phases), f"no progress for {phase}: {phases}"
    assert [e.seq for e in events] == list(range(len(events)))
    progress = [e.progress for e in events if e.progress is not None and e.type != "QUEUED"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert final.details["servable"] is True


def test_the_manifest_carries_parity_metrics_and_sample_rows(spark_model, model_name):
    _, manifest = spark_model
    assert manifest["name"] == model_name and manifest["servable"] is True and manifest["reason"] is None
    assert manifest["parity"]["rows_compared"] == 4 and manifest["parity"]["servable"] is True
    assert manifest["parity"]["columns"]["prediction"]["exact_match_rate"] == 1.0
    assert 0.0 <= manifest["metrics"]["areaUnderROC"] <= 1.0
    assert [f["name"] for f in manifest["input_schema"]] == ["text"]
    assert manifest["sample_rows"] and all(set(r) == {"text"} for r in manifest["sample_rows"])
    assert len(manifest["sha256"]) == 64


def test_the_scorer_answers_with_sparks_predictions(scorer, spark, spark_model, model_name, published):
    from spindrift.client import SpindriftClient

    model, _ = spark_model
    expected = model.transform(spark.createDataFrame([(t,) for t in TEST_TEXTS], ["text"])).collect()
    with SpindriftClient(scorer_settings(scorer)) as client:
        reply = client.predict(model_name, [{"text": t} for t in TEST_TEXTS], timeout=60)
    assert reply.version == published[0].details["version"]
    assert len(reply.rows) == len(expected)
    for ours, theirs in zip(reply.rows, expected, strict=True):
        assert ours["prediction"] == theirs.prediction
        for a, b in zip(ours["probability"], theirs.probability.toArray().tolist(), strict=True):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_batch_scoring_writes_sparks_predictions(trainer, spark, kafka_settings, spark_model, model_name, data_root):
    model, _ = spark_model
    texts = [{"id": i, "text": t} for i, t in enumerate(TEST_TEXTS)]
    expected = {
        r.id: r
        for r in model.transform(spark.createDataFrame([(r["id"], r["text"]) for r in texts], ["id", "text"])).collect()
    }
    for fmt in ("parquet", "json"):
        out = Path(data_root) / f"scored-{fmt}"
        spec = {
            "model": model_name,
            "version": "1",
            "data": {"rows": texts},
            "output": {"path": str(out), "format": fmt},
        }
        final = follow_job(kafka_settings, submit_batch_scoring(kafka_settings, spec), timeout=180)
        assert final.type == "PUBLISHED", final.message
        assert final.details["rows"] == len(texts) and final.details["version"] == 1
        written = spark.read.format(fmt).load(str(out)).collect()
        assert len(written) == len(texts)
        for row in written:
            want = expected[row.id]
            assert row.prediction == want.prediction
            probability = row.probability.toArray().tolist() if fmt == "parquet" else row.probability
            assert probability == want.probability.toArray().tolist()  # json holds vectors as arrays


def test_batch_scoring_refuses_an_output_outside_the_roots_and_unknown_models(trainer, kafka_settings, model_name):
    outside = {
        "model": model_name,
        "data": {"rows": [{"text": "a"}]},
        "output": {"path": "/tmp/../etc/x", "format": "csv"},
    }
    final = follow_job(kafka_settings, submit_batch_scoring(kafka_settings, outside), timeout=120)
    assert final.type == "FAILED" and "outside the data roots" in final.message
    unknown = {"model": "no-such-model", "data": {"rows": [{"text": "a"}]}, "output": {"path": "x", "format": "csv"}}
    final = follow_job(kafka_settings, submit_batch_scoring(kafka_settings, unknown), timeout=120)
    assert final.type == "FAILED" and "no model called 'no-such-model'" in final.message


def test_retraining_publishes_the_next_version(trainer, kafka_settings, published, model_name):
    first = published[0].details["version"]
    final = follow_job(kafka_settings, submit_training(kafka_settings, tutorial_spec(model_name)), timeout=300)
    assert final.type == "PUBLISHED", final.message
    assert final.details["version"] == first + 1


def scorer_settings(scorer):
    """KafkaSettings of the broker the scorer subprocess uses."""
    from spindrift.kafka.settings import KafkaSettings

    return KafkaSettings(bootstrap_servers=scorer.env["KAFKA_BOOTSTRAP_SERVERS"])
