"""Parity of a fitted model on both scoring paths with one save and two Spark transforms.

``assert_parity`` on more than 8 rows checks the columnar path; the same rows are then sent
in chunks of at most 8, which ``transform_rows`` scores one row at a time, and compared
with Spark's output for those rows. An empty batch must give every output column, empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame

from .parity import assert_close, assert_parity, spark_rows

ROW_PATH_MAX = 8


def compare_rows(ours: list[dict[str, Any]], expected: list[dict[str, Any]], where: str) -> None:
    """Every column Spark output, row by row (floats 1e-9 relative)."""
    assert len(ours) == len(expected), f"{where}: {len(ours)} rows vs Spark {len(expected)}"
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        for col, value in b.items():
            assert col in a, f"{where} row {i}: column {col!r} missing"
            assert_close(a[col], value, f"{where} row {i} column {col!r}")


def assert_parity_both_paths(model: Any, df: DataFrame, tmp_path: Path) -> Any:
    """Columnar and row-at-a-time parity with Spark for ``df`` (which must have > 8 rows)."""
    inputs = spark_rows(df)
    assert len(inputs) > ROW_PATH_MAX, "give more than 8 rows so the columnar path runs too"
    pipeline = assert_parity(model, df, tmp_path)
    expected = spark_rows(model.transform(df))
    for start in range(0, len(inputs), ROW_PATH_MAX):
        chunk = inputs[start : start + ROW_PATH_MAX]
        compare_rows(pipeline.transform_rows(chunk), expected[start : start + ROW_PATH_MAX], f"rows {start}+")
    # An empty batch (e.g. after a 'skip' stage dropped every row) gives empty outputs, no error.
    empty = pipeline.transform({name: [] for name in inputs[0]})
    for col in expected[0]:
        assert len(empty[col]) == 0, f"empty batch: column {col!r} has rows"
    return pipeline
