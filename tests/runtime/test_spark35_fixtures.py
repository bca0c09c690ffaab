"""Models saved by Spark 3.5 load and score exactly as Spark 3.5 scored them.

The fixtures under ``tests/fixtures/spark35/`` were written by Spark 3.5 itself
(``tools/make_spark35_fixtures.py``): each holds a saved PipelineModel (``metadata/part-00000``
naming, 3.5's data layouts) and ``expected.json`` with the input rows and Spark 3.5's own
``transform`` output. No Spark runs here; the reference is what Spark wrote.

A fixture whose stages are not registered fails (it does not skip): every first-wave stage
family is meant to load from Spark 3.5 as well as 4.x.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sparkml_runtime import VectorColumn, load_pipeline, supported_stages

from .parity import assert_close

pytestmark = pytest.mark.parity

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "spark35"
NAMES = sorted(d.name for d in FIXTURES.iterdir() if (d / "expected.json").is_file()) if FIXTURES.is_dir() else []
ROW_PATH_MAX = 8  # transform_rows scores batches of at most this many rows one by one


def _expected(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))


def _compare(ours: list[dict[str, Any]], expected: list[dict[str, Any]], where: str) -> None:
    assert len(ours) == len(expected), f"{where}: {len(ours)} rows vs Spark {len(expected)}"
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        for col, val in b.items():
            assert col in a, f"{where} row {i}: column {col!r} missing"
            assert_close(a[col], val, f"{where} row {i} column {col!r}")


def _columns_as_rows(out: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The columnar result of ``Pipeline.transform`` as JSON-ready rows."""
    json_cols: dict[str, list[Any]] = {}
    for name, col in out.items():
        if isinstance(col, VectorColumn):
            json_cols[name] = col.to_json()
        else:
            json_cols[name] = [v.item() if hasattr(v, "item") else v for v in col]
    return [{name: col[i] for name, col in json_cols.items()} for i in range(n)]


def test_fixtures_are_present_and_from_spark_35():
    assert len(NAMES) >= 20, f"expected the Spark 3.5 fixtures under {FIXTURES}; run tools/make_spark35_fixtures.py"
    for name in NAMES:
        assert _expected(name)["spark_version"].startswith("3.5"), name
        # Spark <= 3.5 names the metadata file part-00000 (4.x adds a uuid and .txt).
        assert (FIXTURES / name / "model" / "metadata" / "part-00000").is_file(), name


@pytest.mark.parametrize("name", NAMES)
def test_spark35_model_matches_spark35_output(name):
    doc = _expected(name)
    missing = [c for c in doc["stages"] if c not in supported_stages()]
    if missing:
        pytest.fail(f"fixture {name!r} ({doc['description']}) needs unregistered stages: {', '.join(missing)}")
    pipeline = load_pipeline(FIXTURES / name / "model")
    inputs, expected = doc["inputs"], doc["outputs"]
    assert len(inputs) > ROW_PATH_MAX, f"{name}: too few rows to exercise the columnar path"

    # Row path: batches small enough for transform_rows to score row by row.
    for start in range(0, len(inputs), ROW_PATH_MAX):
        chunk = pipeline.transform_rows(inputs[start : start + ROW_PATH_MAX])
        _compare(chunk, expected[start : start + ROW_PATH_MAX], f"{name} transform_rows[{start}:]")

    # Columnar paths: transform_rows on the whole batch, and transform on columns.
    _compare(pipeline.transform_rows(inputs), expected, f"{name} transform_rows(all)")
    columns = {col: [r.get(col) for r in inputs] for col in inputs[0]}
    _compare(_columns_as_rows(pipeline.transform(columns), len(inputs)), expected, f"{name} transform")
