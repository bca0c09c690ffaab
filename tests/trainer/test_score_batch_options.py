"""``score_batch`` options through a real trainer: CSV with chosen columns, error/overwrite modes,
a version named by alias, rows read from a Kafka topic, and an unknown output column.

The model is the tutorial fitted by Spark in this process and published with the registry
publisher; expected predictions are Spark's own transform of the same rows.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from spindrift.jobs import follow_job, submit_batch_scoring
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import ensure_topics
from spindrift.registry.publisher import promote, publish_version
from tests.kafka_user import user_producer
from tests.runtime.parity import assert_close
from tests.scorer.conftest import TutorialModels, manifest

from .tutorial import TEST_TEXTS

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

ROWS = [{"id": i, "text": t} for i, t in enumerate(TEST_TEXTS)]


@pytest.fixture(scope="module")
def model(kafka_settings: KafkaSettings, tutorial_models: TutorialModels) -> str:
    """Versions 1 and 2 published; the production alias on version 1 (so it is not the latest)."""
    name = f"batch-options-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings)
    producer = make_producer(kafka_settings)
    try:
        publish_version(producer, manifest(name, 1), tutorial_models.dirs[1])
        publish_version(producer, manifest(name, 2), tutorial_models.dirs[2])
        promote(producer, name, 1)
    finally:
        close_producer(producer, 5)
    return name


def run_batch(kafka: KafkaSettings, spec: dict[str, Any]) -> Any:
    return follow_job(kafka, submit_batch_scoring(kafka, spec), timeout=180)


def test_csv_output_keeps_the_chosen_columns_with_sparks_values(
    trainer: object, kafka_settings: KafkaSettings, tutorial_models: TutorialModels, model: str, data_root: str
) -> None:
    out = Path(data_root) / f"csv-{uuid.uuid4().hex[:6]}"
    columns = ["id", "prediction", "probability"]
    final = run_batch(
        kafka_settings,
        {
            "model": model,
            "version": "2",
            "data": {"rows": ROWS},
            "output": {"path": str(out), "format": "csv", "columns": columns},
        },
    )
    assert final.type == "PUBLISHED", final.message
    written = [row for part in sorted(out.glob("part-*.csv")) for row in csv.DictReader(part.open())]
    assert written and all(list(row) == columns for row in written)
    expected = {r["id"]: r for r in tutorial_models.spark_outputs(2, ROWS)}
    assert sorted(int(r["id"]) for r in written) == sorted(expected)
    for row in written:
        want = expected[int(row["id"])]
        assert float(row["prediction"]) == want["prediction"]
        assert_close(json.loads(row["probability"]), want["probability"], "probability")  # vectors as JSON text


def test_mode_error_refuses_an_existing_output_and_overwrite_replaces_it(
    trainer: object, kafka_settings: KafkaSettings, model: str, data_root: str
) -> None:
    out = Path(data_root) / f"modes-{uuid.uuid4().hex[:6]}"
    spec = {"model": model, "version": "1", "data": {"rows": ROWS[:2]}, "output": {"path": str(out), "format": "json"}}
    assert run_batch(kafka_settings, spec).type == "PUBLISHED"

    refused = run_batch(kafka_settings, {**spec, "data": {"rows": ROWS}})
    assert refused.type == "FAILED"
    assert str(out) in refused.message
    assert sum(len(p.read_text().splitlines()) for p in out.glob("part-*")) == 2  # untouched

    spec["output"] = {**spec["output"], "mode": "overwrite"}
    replaced = run_batch(kafka_settings, {**spec, "data": {"rows": ROWS}})
    assert replaced.type == "PUBLISHED", replaced.message
    assert sum(len(p.read_text().splitlines()) for p in out.glob("part-*")) == len(ROWS)


def test_an_alias_and_no_version_both_resolve_to_production_not_the_latest(
    trainer: object, kafka_settings: KafkaSettings, model: str, data_root: str
) -> None:
    for version in ("production", None):
        out = Path(data_root) / f"alias-{uuid.uuid4().hex[:6]}"
        spec = {
            "model": model,
            "version": version,
            "data": {"rows": ROWS},
            "output": {"path": str(out), "format": "json"},
        }
        final = run_batch(kafka_settings, spec)
        assert final.type == "PUBLISHED", final.message
        assert final.details["version"] == 1, (version, final.details)


def test_rows_read_from_a_topic_are_scored_like_spark(
    trainer: object, kafka_settings: KafkaSettings, tutorial_models: TutorialModels, model: str, data_root: str
) -> None:
    topic = f"batch-input-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [topic])
    producer = user_producer(kafka_settings)
    try:
        for row in ROWS:
            producer.send(topic, value=json.dumps(row).encode()).get(timeout=30)
    finally:
        producer.close()
    out = Path(data_root) / f"topic-{uuid.uuid4().hex[:6]}"
    final = run_batch(
        kafka_settings,
        {"model": model, "version": "2", "data": {"topic": topic}, "output": {"path": str(out), "format": "json"}},
    )
    assert final.type == "PUBLISHED", final.message
    assert final.details["rows"] == len(ROWS)
    written = {r["id"]: r for p in out.glob("part-*") for r in map(json.loads, p.read_text().splitlines())}
    for want in tutorial_models.spark_outputs(2, ROWS):
        assert written[want["id"]]["prediction"] == want["prediction"]


def test_an_unknown_output_column_fails_naming_what_is_available(
    trainer: object, kafka_settings: KafkaSettings, model: str, data_root: str
) -> None:
    out = Path(data_root) / f"unknown-{uuid.uuid4().hex[:6]}"
    spec = {
        "model": model,
        "version": "1",
        "data": {"rows": ROWS},
        "output": {"path": str(out), "format": "parquet", "columns": ["id", "nope"]},
    }
    final = run_batch(kafka_settings, spec)
    assert final.type == "FAILED"
    assert "nope" in final.message and "prediction" in final.message
