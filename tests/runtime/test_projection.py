"""``outputs=[...]``: only the stages the requested columns need run, with Spark's rows and values.

The no-Spark tests use the Spark 3.5 fixtures (Spark's own output is in ``expected.json``);
the skip tests fit a pipeline in Spark and compare with ``transform(df).select(...)``, the
query a projected call stands for: Spark still drops the rows a handleInvalid='skip' stage
filters, even when none of that stage's columns is selected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sparkml_runtime import InvalidInputError, RowFiltered, UnknownColumnError, VectorColumn, load_pipeline

from .parity import assert_close, spark_rows

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "spark35"
ROW_PATH_MAX = 8


def _fixture(name: str) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    doc = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    return load_pipeline(FIXTURES / name / "model"), doc["inputs"], doc["outputs"]


def _compare(ours: list[dict[str, Any]], expected: list[dict[str, Any]], outputs: list[str], where: str) -> None:
    """Rows carry exactly ``outputs``, in that order, with Spark's values."""
    assert len(ours) == len(expected), f"{where}: {len(ours)} rows vs Spark {len(expected)}"
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        assert list(a) == outputs, f"{where} row {i}: columns {list(a)}, asked for {outputs}"
        for col in outputs:
            assert_close(a[col], b[col], f"{where} row {i} column {col!r}")


def _columns_as_rows(out: dict[str, Any], n: int) -> list[dict[str, Any]]:
    json_cols = {
        name: col.to_json() if isinstance(col, VectorColumn) else [v.item() if hasattr(v, "item") else v for v in col]
        for name, col in out.items()
    }
    assert all(len(c) == n for c in json_cols.values()), {k: len(c) for k, c in json_cols.items()}
    return [{name: col[i] for name, col in json_cols.items()} for i in range(n)]


def _output_choices(pipeline: Any, inputs: list[dict[str, Any]]) -> list[list[str]]:
    """The final stage's outputs, each produced column alone, and an input next to a late output."""
    produced = [f.name for f in pipeline.output_schema]
    final = [f.name for f in pipeline.stages[-1].output_fields()]
    mixed = list(dict.fromkeys([produced[-1], next(iter(inputs[0])), produced[0]]))
    return [final, *([c] for c in produced), mixed]


FIXTURE_NAMES = sorted(d.name for d in FIXTURES.iterdir() if (d / "expected.json").is_file())


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_projected_paths_give_spark35_columns_on_every_fixture(name):
    pipeline, inputs, expected = _fixture(name)
    for outputs in _output_choices(pipeline, inputs):
        wanted = expected
        # Row path: chunks small enough for transform_rows to score row by row.
        chunks = [
            row
            for start in range(0, len(inputs), ROW_PATH_MAX)
            for row in pipeline.transform_rows(inputs[start : start + ROW_PATH_MAX], outputs=outputs)
        ]
        _compare(chunks, wanted, outputs, f"{name} rows outputs={outputs}")
        _compare(pipeline.transform_rows(inputs, outputs=outputs), wanted, outputs, f"{name} batch outputs={outputs}")
        returned = pipeline.transform_rows(inputs, outputs=outputs, errors="return")
        _compare(returned, wanted, outputs, f"{name} errors=return outputs={outputs}")
        columns = {col: [r.get(col) for r in inputs] for col in inputs[0]}
        out = pipeline.transform(columns, outputs=outputs)
        assert list(out) == outputs, f"{name} transform outputs={outputs}: columns {list(out)}"
        _compare(_columns_as_rows(out, len(inputs)), wanted, outputs, f"{name} transform outputs={outputs}")


def test_only_the_stages_feeding_the_requested_columns_run():
    pipeline, _, _ = _fixture("tutorial")
    names = [type(s).__name__ for s in pipeline.plan(["words"]).stages]
    assert names == ["Tokenizer"]
    assert [type(s).__name__ for s in pipeline.plan(["features"]).stages] == ["Tokenizer", "HashingTF"]
    assert len(pipeline.plan(["prediction"]).stages) == 3
    assert pipeline.plan(["id"]).stages == ()
    assert pipeline.plan(None).stages == tuple(pipeline.stages)


def test_a_stage_no_requested_column_needs_is_not_run_so_its_missing_input_is_no_error():
    # VectorIndexer reads "vec"; FeatureHasher reads x, y, z, s, flag and never needs it.
    pipeline, inputs, expected = _fixture("interaction_indexer_hasher")
    without_vec = [{k: v for k, v in r.items() if k != "vec"} for r in inputs]
    with pytest.raises(InvalidInputError, match="missing input column"):
        pipeline.transform_rows(without_vec)
    for rows in (without_vec[:2], without_vec):  # row path and columnar path
        got = pipeline.transform_rows(rows, outputs=["hashed"])
        _compare(got, expected[: len(rows)], ["hashed"], f"{len(rows)} rows without 'vec'")


def test_projection_returns_requested_inputs_and_drops_the_rest():
    pipeline, inputs, expected = _fixture("tutorial")
    got = pipeline.transform_rows(inputs, outputs=["prediction", "id", "prediction"])
    _compare(got, expected, ["prediction", "id"], "repeated name")
    one = pipeline.transform_row(inputs[0], outputs=["probability"])
    assert list(one) == ["probability"]
    assert_close(one["probability"], expected[0]["probability"], "transform_row")


def test_unknown_output_column_raises_naming_it_and_what_is_available():
    pipeline, inputs, _ = _fixture("tutorial")
    columns = {col: [r[col] for r in inputs] for col in inputs[0]}
    calls = [
        lambda: pipeline.transform_rows(inputs, outputs=["prediction", "predictoin"]),
        lambda: pipeline.transform_rows(inputs[:2], outputs=["predictoin"], errors="return"),
        lambda: pipeline.transform(columns, outputs=["predictoin"]),
        lambda: pipeline.transform_row(inputs[0], outputs=["predictoin"]),
    ]
    for call in calls:
        with pytest.raises(UnknownColumnError) as err:
            call()
        assert err.value.names == ["predictoin"]
        assert "'predictoin'" in str(err.value) and "prediction" in err.value.available and "text" in str(err.value)


def test_errors_return_with_projection_isolates_the_bad_row():
    pipeline, inputs, expected = _fixture("tutorial")
    rows = [*inputs[:5], {"id": 99, "text": None}, *inputs[5:]]
    for batch in (rows[:7], rows):  # row path and columnar path (falls back row by row)
        got = pipeline.transform_rows(batch, outputs=["prediction"], errors="return")
        assert isinstance(got[5], InvalidInputError) and got[5].row == 5 and got[5].column == "text"
        scored = [r for r in got if isinstance(r, dict)]
        _compare(scored, [*expected[:5], *expected[5:]][: len(scored)], ["prediction"], f"{len(batch)} rows")
    # A bad value in a column no requested stage reads is not looked at.
    assert pipeline.transform_rows([{"id": "not a number", "text": None}], outputs=["id"]) == [{"id": "not a number"}]


# --- with Spark: an unneeded handleInvalid='skip' stage still drops rows --------------------------------
TRAIN = [
    (0, "a b c d e spark", "x", 1.0),
    (1, "b d", "y", 0.0),
    (2, "spark f g h", "x", 1.0),
    (3, "hadoop mapreduce", "y", 0.0),
]
# "z" is unseen and None is null: StringIndexer(handleInvalid='skip') drops both rows.
SCORE = [
    (4, "spark i j k", "x"),
    (5, "l m n", "z"),
    (6, "spark hadoop spark", None),
    (7, "apache hadoop", "y"),
    (8, "b d spark", "x"),
    (9, "mapreduce", "z"),
    (10, "a", "y"),
    (11, "c c c", "x"),
    (12, "d e", "y"),
    (13, "spark", None),
]


def _fit_with_side_indexer(spark: Any) -> Any:
    """StringIndexer(cat, skip) beside Tokenizer -> HashingTF -> LogisticRegression; cat feeds nothing."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, StringIndexer, Tokenizer

    train = spark.createDataFrame(TRAIN, "id long, text string, cat string, label double")
    stages = [
        StringIndexer(inputCol="cat", outputCol="cat_idx", handleInvalid="skip"),
        Tokenizer(inputCol="text", outputCol="words"),
        HashingTF(inputCol="words", outputCol="features", numFeatures=1024),
        LogisticRegression(maxIter=10, regParam=0.001),
    ]
    return Pipeline(stages=stages).fit(train)


@pytest.mark.parity
def test_skip_stage_no_requested_column_needs_still_drops_rows_as_spark_select_does(spark, tmp_path):
    model = _fit_with_side_indexer(spark)
    model.write().overwrite().save(str(tmp_path / "model"))
    pipeline = load_pipeline(tmp_path / "model")
    df = spark.createDataFrame(SCORE, "id long, text string, cat string")
    outputs = ["id", "prediction", "probability"]
    expected = spark_rows(model.transform(df).select(*outputs))
    assert [r["id"] for r in expected] == [4, 7, 8, 10, 11, 12], "Spark drops the unseen and null categories"
    assert type(pipeline.plan(outputs).stages[0]).__name__ == "StringIndexerModel"

    rows = spark_rows(df)
    _compare(pipeline.transform_rows(rows, outputs=outputs), expected, outputs, "columnar path")
    small = [
        r for start in range(0, len(rows), 5) for r in pipeline.transform_rows(rows[start : start + 5], outputs=outputs)
    ]
    _compare(small, expected, outputs, "row path")
    columns = {c: [r[c] for r in rows] for c in rows[0]}
    _compare(
        _columns_as_rows(pipeline.transform(columns, outputs=outputs), len(expected)), expected, outputs, "transform"
    )
    for batch in (rows, rows[:5]):
        returned = pipeline.transform_rows(batch, outputs=outputs, errors="return")
        filtered = [i for i, r in enumerate(returned) if isinstance(r, RowFiltered)]
        assert filtered == [i for i, r in enumerate(batch) if r["cat"] not in ("x", "y")], returned
        scored = [r for r in returned if isinstance(r, dict)]
        _compare(scored, expected[: len(scored)], outputs, f"errors=return, {len(batch)} rows")
