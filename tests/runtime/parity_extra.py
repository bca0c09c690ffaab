"""Parity checks beyond ``parity.assert_parity``: a row-path comparison that reuses a loaded
pipeline (no second save), and refusals of bad input by both Spark and the runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame
from sparkml_runtime import InvalidInputError, Pipeline, load_pipeline

from .parity import assert_close, spark_rows


def save_and_load(model: Any, tmp_path: Path, name: str) -> Pipeline:
    """Save a fitted pyspark model under ``tmp_path`` and load it with the runtime."""
    path = tmp_path / name
    model.write().overwrite().save(str(path))
    return load_pipeline(path)


def assert_rows_match(pipeline: Pipeline, model: Any, df: DataFrame, rows: list[dict[str, Any]]) -> None:
    """``pipeline.transform_rows(rows)`` equals Spark's ``model.transform(df)``, column by column.

    With at most 8 rows this exercises the runtime's one-row path.
    """
    expected = spark_rows(model.transform(df))
    ours = pipeline.transform_rows(rows)
    assert len(ours) == len(expected), f"{len(ours)} rows vs Spark {len(expected)}"
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        for col, val in b.items():
            assert col in a, f"row {i}: column {col!r} missing"
            assert_close(a[col], val, f"row {i} column {col!r}")


def assert_both_reject(
    model: Any,
    df: DataFrame,
    tmp_path: Path,
    rows: list[dict[str, Any]],
    *,
    spark_says: str,
    column: str,
    row: int,
    stage: str,
) -> InvalidInputError:
    """Spark's transform of ``df`` fails (its message contains ``spark_says``) and the runtime
    raises InvalidInputError naming ``column``, ``row`` and a stage whose name contains
    ``stage`` on both the row path and the columnar path. Returns the row-path error."""
    with pytest.raises(Exception) as spark_error:
        model.transform(df).collect()
    assert spark_says in str(spark_error.value), str(spark_error.value)[:2000]

    pipeline = save_and_load(model, tmp_path, f"rejects_{id(model)}")
    with pytest.raises(InvalidInputError) as by_rows:
        pipeline.transform_rows(rows)
    cols = {name: [r.get(name) for r in rows] for name in rows[0]}
    with pytest.raises(InvalidInputError) as by_columns:
        pipeline.transform(cols)
    for err in (by_rows.value, by_columns.value):
        assert err.column == column, err
        assert err.row == row, err
        assert err.stage is not None and stage in err.stage, err
        assert column in str(err) and f"row {row}" in str(err)
    return by_rows.value
