"""The PyFlink example (examples/flink/score_events.py) enriches events on Flink's mini-cluster as Spark would.

The job runs for real with ``.venv-flink/bin/python`` (``make flink-env``: PyFlink pins a py4j
that conflicts with pyspark's, so it has a venv of its own) as a subprocess, on Flink's local
mini-cluster; Spark, in this process, transforms the same rows with the same saved model.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.scorer.conftest import TEXTS, TutorialModels

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


def run_job(tmp_path: Path, model_dir: Path, *options: str) -> list[dict[str, Any]]:
    """Run the job with ``options`` on the events above; its enriched events, parsed."""
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([*(json.dumps(r) for r in GOOD), *BAD_LINES]) + "\n", encoding="utf-8")
    output = tmp_path / "enriched.jsonl"
    done = subprocess.run(
        [str(FLINK_PYTHON), str(JOB), "--model-dir", str(model_dir), "--input", str(events)]
        + ["--output", str(output), *options],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # the Flink venv's own packages only
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def assert_close(ours: Any, spark: Any) -> None:
    if isinstance(spark, list):
        assert len(ours) == len(spark)
        for a, b in zip(ours, spark, strict=True):
            assert_close(a, b)
    elif isinstance(spark, float):
        assert math.isclose(ours, spark, rel_tol=1e-9, abs_tol=1e-12), (ours, spark)
    else:
        assert ours == spark


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
            assert_close(event[column], expected[column])

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
