"""The AWS Lambda example (examples/lambda/handler.py) scores a real-shaped Kinesis event like Spark does.

The handler module is loaded the way Lambda loads it: imported fresh with the environment
set, so the model loads during "init"; then ``handler(event, context)`` is invoked with the
committed Kinesis fixture, whose records carry good rows, undecodable data, a JSON array and
a row missing its text.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import ensure_topics
from spindrift.registry.publisher import promote, publish_version
from tests.runtime.parity import assert_close
from tests.scorer.conftest import TutorialModels, manifest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lambda"
EVENT = json.loads((EXAMPLE / "kinesis_event.json").read_text())


def cold_start(monkeypatch: pytest.MonkeyPatch, **environ: str) -> ModuleType:
    """Import handler.py as a new module with ``environ`` set, as a new Lambda execution environment does."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(f"lambda_handler_{uuid.uuid4().hex}", EXAMPLE / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # as an import does (dataclasses look it up)
    spec.loader.exec_module(module)
    return module


def decoded_rows() -> dict[str, Any]:
    """Every fixture record's payload by sequence number (JSON when it decodes, else None)."""
    rows: dict[str, Any] = {}
    for record in EVENT["Records"]:
        try:
            rows[record["kinesis"]["sequenceNumber"]] = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            rows[record["kinesis"]["sequenceNumber"]] = None
    return rows


def test_kinesis_batch_is_enriched_with_sparks_predictions(
    monkeypatch: pytest.MonkeyPatch, tutorial_models: TutorialModels
) -> None:
    module = cold_start(monkeypatch, SPINDRIFT_MODEL_DIR=str(tutorial_models.dirs[1]))
    result = module.handler(EVENT, None)

    rows = decoded_rows()
    good = [seq for seq, row in rows.items() if isinstance(row, dict) and "text" in row]
    assert [r["sequenceNumber"] for r in result["records"]] == good
    spark = tutorial_models.spark_outputs(1, [rows[seq] for seq in good])
    for record, expected in zip(result["records"], spark, strict=True):
        event = record["event"]
        assert set(event) == {"id", "text", "prediction", "rawPrediction", "probability"}
        assert event["id"] == expected["id"] and event["text"] == expected["text"]
        for column in ("prediction", "rawPrediction", "probability"):
            assert_close(event[column], expected[column], column)
    assert result["batchItemFailures"] == []


def test_bad_records_are_reported_with_their_reason_not_retried(
    monkeypatch: pytest.MonkeyPatch, tutorial_models: TutorialModels
) -> None:
    module = cold_start(monkeypatch, SPINDRIFT_MODEL_DIR=str(tutorial_models.dirs[1]))
    result = module.handler(EVENT, None)

    errors = {e["sequenceNumber"]: e["error"] for e in result["errors"]}
    rows = decoded_rows()
    bad = [seq for seq, row in rows.items() if not (isinstance(row, dict) and "text" in row)]
    assert sorted(errors) == sorted(bad)
    by_payload = {json.dumps(rows[seq]): errors[seq] for seq in bad}
    assert "not base64-encoded JSON" in by_payload["null"]
    assert "one JSON object" in by_payload["[1, 2, 3]"]
    assert "text" in by_payload['{"id": 8}']
    assert len(result["records"]) + len(errors) == len(EVENT["Records"])  # every record accounted for
    assert result["batchItemFailures"] == []


def test_outputs_setting_picks_the_columns_added(
    monkeypatch: pytest.MonkeyPatch, tutorial_models: TutorialModels
) -> None:
    module = cold_start(monkeypatch, SPINDRIFT_MODEL_DIR=str(tutorial_models.dirs[1]), SPINDRIFT_OUTPUTS="prediction")
    result = module.handler(EVENT, None)
    assert result["records"]
    assert all(set(r["event"]) == {"id", "text", "prediction"} for r in result["records"])


def test_unconfigured_handler_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPINDRIFT_MODEL_DIR", raising=False)
    monkeypatch.delenv("SPINDRIFT_MODEL", raising=False)
    module = cold_start(monkeypatch)
    with pytest.raises(ValueError, match="SPINDRIFT_MODEL_DIR"):
        module.handler(EVENT, None)


@pytest.mark.kafka
def test_cold_start_fetches_the_version_an_alias_names_from_the_registry(
    monkeypatch: pytest.MonkeyPatch, kafka_settings: KafkaSettings, tutorial_models: TutorialModels, tmp_path: Path
) -> None:
    name = f"lambda-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings)
    producer = make_producer(kafka_settings)
    try:
        publish_version(producer, manifest(name, 1), tutorial_models.dirs[1])
        publish_version(producer, manifest(name, 2), tutorial_models.dirs[2])
        promote(producer, name, 1)  # production stays on v1 though v2 is the latest
    finally:
        close_producer(producer, 5)

    module = cold_start(
        monkeypatch,
        SPINDRIFT_MODEL=f"{name}@production",
        KAFKA_BOOTSTRAP_SERVERS=kafka_settings.bootstrap_servers,
        SPINDRIFT_CACHE_DIR=str(tmp_path),
    )
    result = module.handler(EVENT, None)

    assert (result["model"], result["version"]) == (name, 1)
    rows = [r["event"] for r in result["records"]]
    spark = tutorial_models.spark_outputs(1, [{"id": r["id"], "text": r["text"]} for r in rows])
    assert [r["prediction"] for r in rows] == [s["prediction"] for s in spark]
