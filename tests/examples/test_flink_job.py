"""The PyFlink example (examples/flink/score_events.py) enriches events on Flink's mini-cluster as Spark would.

The job runs for real with ``.venv-flink/bin/python`` (``make flink-env``: PyFlink pins a py4j
that conflicts with pyspark's, so it has a venv of its own) as a subprocess, on Flink's local
mini-cluster; Spark, in this process, transforms the same rows with the same saved model.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import ensure_topics
from tests.kafka_user import user_consumer as make_consumer
from tests.kafka_user import user_producer as make_producer
from tests.runtime.parity import assert_close
from tests.scorer.conftest import TEXTS, TutorialModels
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "examples" / "flink" / "score_events.py"
FLINK_PYTHON = ROOT / ".venv-flink" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not FLINK_PYTHON.exists(), reason="no .venv-flink: `make flink-env` installs PyFlink apart from pyspark"
)

GOOD = [{"id": i, "text": text} for i, text in enumerate(TEXTS)] + [
    {"id": 100 + i, "text": f"spark {i}"} for i in range(20)
]
BAD_LINES = ["this is not json", "[1, 2, 3]", '{"id": 999}']


def run_flink(model_dir: Path, *options: str) -> None:
    """Run the job with ``options`` on Flink's mini-cluster, in the Flink venv; fail with its stderr's end."""
    done = subprocess.run(
        [str(FLINK_PYTHON), str(JOB), "--model-dir", str(model_dir), *options],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # the Flink venv's own packages only
    )
    assert done.returncode == 0, done.stderr[-4000:]


def run_job(tmp_path: Path, model_dir: Path, *options: str) -> list[dict[str, Any]]:
    """Run the job with ``options`` on the events above, from a file; its enriched events, parsed."""
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([*(json.dumps(r) for r in GOOD), *BAD_LINES]) + "\n", encoding="utf-8")
    output = tmp_path / "enriched.jsonl"
    run_flink(model_dir, "--input", str(events), "--output", str(output), *options)
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


@pytest.mark.spark
@pytest.mark.parametrize(
    "options",
    [["--variant", "row"], ["--variant", "row", "--execution-mode", "thread"], ["--variant", "vectorised"]],
    ids=["row", "row-thread-mode", "vectorised"],
)
def test_flink_job_enriches_events_with_sparks_predictions_and_reports_bad_ones(
    options: list[str], tutorial_models: TutorialModels, tmp_path: Path
) -> None:
    enriched = run_job(tmp_path, tutorial_models.dirs[1], *options)

    assert len(enriched) == len(GOOD) + len(BAD_LINES)  # every event comes out, scored or with its error
    scored = {e["id"]: e for e in enriched if "error" not in e}
    assert sorted(scored) == sorted(r["id"] for r in GOOD)
    for expected in tutorial_models.spark_outputs(1, GOOD):
        event = scored[expected["id"]]
        assert set(event) == {"id", "text", "prediction", "rawPrediction", "probability"}
        assert event["text"] == expected["text"]
        for column in ("prediction", "rawPrediction", "probability"):
            assert_close(event[column], expected[column], column)

    errors = [e for e in enriched if "error" in e]
    assert len(errors) == len(BAD_LINES)
    by_event = {json.dumps(e["event"]) if "event" in e else json.dumps({"id": e["id"]}): e["error"] for e in errors}
    assert "not JSON" in by_event['"this is not json"']
    assert "one JSON object" in by_event["[1, 2, 3]"]
    assert "text" in by_event['{"id": 999}']


@pytest.mark.spark
def test_outputs_option_picks_the_columns_added(tutorial_models: TutorialModels, tmp_path: Path) -> None:
    enriched = run_job(tmp_path, tutorial_models.dirs[1], "--variant", "vectorised", "--outputs", "prediction")
    scored = [e for e in enriched if "error" not in e]
    assert len(scored) == len(GOOD)
    assert all(set(e) == {"id", "text", "prediction"} for e in scored)
    spark = {s["id"]: s["prediction"] for s in tutorial_models.spark_outputs(1, GOOD)}
    assert {e["id"]: e["prediction"] for e in scored} == spark


@pytest.mark.kafka
@pytest.mark.spark
@pytest.mark.parametrize("variant", ["row", "vectorised"])
def test_kafka_variant_reads_a_topic_and_writes_sparks_predictions_to_another(
    variant: str, kafka_settings: KafkaSettings, tutorial_models: TutorialModels
) -> None:
    suffix = uuid.uuid4().hex[:8]
    events_topic, enriched_topic = f"flink-events-{suffix}", f"flink-enriched-{suffix}"
    ensure_topics(kafka_settings, [events_topic, enriched_topic])
    producer = make_producer(kafka_settings)
    try:
        for line in [*(json.dumps(r) for r in GOOD), *BAD_LINES]:
            producer.send(events_topic, value=line.encode())
        producer.flush(timeout=30)
    finally:
        producer.close()

    run_flink(
        tutorial_models.dirs[1],
        *("--variant", variant, "--bootstrap-servers", kafka_settings.bootstrap_servers),
        *("--input-topic", events_topic, "--output-topic", enriched_topic, "--group-id", f"flink-{suffix}"),
    )

    enriched: list[dict[str, Any]] = []
    consumer = make_consumer(kafka_settings, enriched_topic, group_id=f"check-{suffix}")
    try:

        def poll() -> bool:
            for batch in consumer.poll(timeout_ms=500).values():
                enriched.extend(json.loads(r.value) for r in batch)
            return len(enriched) >= len(GOOD) + len(BAD_LINES)

        assert wait_until(poll, timeout=60), f"{len(enriched)} enriched events on {enriched_topic}"
    finally:
        consumer.close()
    assert len(enriched) == len(GOOD) + len(BAD_LINES)
    scored = {e["id"]: e for e in enriched if "error" not in e}
    spark = tutorial_models.spark_outputs(1, GOOD)
    assert sorted(scored) == sorted(s["id"] for s in spark)
    for expected in spark:
        for column in ("prediction", "rawPrediction", "probability"):
            assert_close(scored[expected["id"]][column], expected[column], column)
    assert sum("error" in e for e in enriched) == len(BAD_LINES)
