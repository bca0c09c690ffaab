"""Compare sparkml_runtime with Spark's own transform on the same rows.

Spark's output is the reference: each test fits a real pyspark pipeline, saves it, loads
it with the runtime and compares every column Spark adds, for both the row path
(``transform_rows``) and the columnar path (``transform``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pyspark.ml.linalg import DenseVector, SparseVector
from pyspark.sql import DataFrame
from sparkml_runtime import VectorColumn, load_pipeline

REL_TOL = 1e-9
ABS_TOL = 1e-12


def spark_value(v: Any) -> Any:
    """A Spark Row value in the runtime's JSON-ready form."""
    if isinstance(v, DenseVector):
        return [float(x) for x in v.toArray()]
    if isinstance(v, SparseVector):
        return {"size": int(v.size), "indices": [int(i) for i in v.indices], "values": [float(x) for x in v.values]}
    if isinstance(v, list):
        return [spark_value(x) for x in v]
    return v


def assert_close(ours: Any, spark: Any, where: str) -> None:
    """Exact for strings/ints/structure, 1e-9 relative for floats; NaN equals NaN."""
    if isinstance(spark, float) or isinstance(ours, float):
        assert isinstance(ours, (int, float)) and isinstance(spark, (int, float)), (
            f"{where}: {ours!r} vs Spark {spark!r}"
        )
        if math.isnan(spark):
            assert math.isnan(ours), f"{where}: {ours!r} vs Spark NaN"
        else:
            assert math.isclose(ours, spark, rel_tol=REL_TOL, abs_tol=ABS_TOL), f"{where}: {ours!r} vs Spark {spark!r}"
    elif isinstance(spark, dict):
        assert isinstance(ours, dict) and ours.keys() == spark.keys(), f"{where}: {ours!r} vs Spark {spark!r}"
        for k in spark:
            assert_close(ours[k], spark[k], f"{where}.{k}")
    elif isinstance(spark, list):
        assert isinstance(ours, list) and len(ours) == len(spark), f"{where}: {ours!r} vs Spark {spark!r}"
        for i, (a, b) in enumerate(zip(ours, spark, strict=True)):
            assert_close(a, b, f"{where}[{i}]")
    else:
        assert ours == spark, f"{where}: {ours!r} vs Spark {spark!r}"


def spark_rows(df: DataFrame) -> list[dict[str, Any]]:
    """Collect a Spark DataFrame as JSON-ready dicts."""
    return [{k: spark_value(v) for k, v in r.asDict().items()} for r in df.collect()]


def assert_parity(model: Any, df: DataFrame, tmp_path: Path, *, rows: list[dict[str, Any]] | None = None) -> Any:
    """Save ``model``, load it with the runtime, and compare both paths with Spark.

    ``rows`` are the inputs as a caller would send them (defaults to ``df`` collected).
    Returns the loaded runtime pipeline for further checks.
    """
    path = tmp_path / f"model_{id(model)}"
    model.write().overwrite().save(str(path))
    pipeline = load_pipeline(path)
    expected = spark_rows(model.transform(df))
    inputs = rows if rows is not None else spark_rows(df)

    by_rows = pipeline.transform_rows(inputs)
    _compare(by_rows, expected, "transform_rows")

    # The columnar path (also forced for small inputs, which transform_rows sends row-wise).
    cols = {name: [r.get(name) for r in inputs] for name in inputs[0]} if inputs else {}
    out = pipeline.transform(cols)
    n = len(expected)
    as_rows = []
    for i in range(n):
        row = {}
        for name, col in out.items():
            if isinstance(col, VectorColumn):
                row[name] = col.to_json()[i]
            else:
                v = col[i]
                row[name] = v.item() if hasattr(v, "item") else spark_value(v) if not isinstance(v, list) else v
        as_rows.append(row)
    _compare(as_rows, expected, "transform")
    _compare_projected(pipeline, inputs, cols, expected)
    return pipeline


def _compare_projected(
    pipeline: Any, inputs: list[dict[str, Any]], cols: dict[str, list[Any]], expected: list[dict[str, Any]]
) -> None:
    """``outputs=[...]`` on both paths gives Spark's columns, for the final stage's outputs and each
    produced column alone (every stage that can drop rows still runs, so the rows match too)."""
    # Only columns Spark produced: an output of an absent optional input (a label indexer's, when rows
    # carry no label) is not in Spark's output, so there is nothing to compare it with.
    produced = set(expected[0]) if expected else {f.name for f in pipeline.output_schema}
    final = [f.name for f in pipeline.stages[-1].output_fields() if f.name in produced] if pipeline.stages else []
    choices = [final] if final else []
    choices += [[f.name] for f in pipeline.output_schema if f.name in produced]
    for outputs in choices:
        wanted = [{c: r[c] for c in outputs} for r in expected]
        by_rows = pipeline.transform_rows(inputs, outputs=outputs)
        assert all(list(r) == outputs for r in by_rows), f"transform_rows(outputs={outputs}) columns"
        _compare(by_rows, wanted, f"transform_rows(outputs={outputs})")
        out = pipeline.transform(cols, outputs=outputs)
        assert list(out) == outputs, f"transform(outputs={outputs}) columns {list(out)}"
        json_cols = {
            name: col.to_json() if isinstance(col, VectorColumn) else [_plain(v) for v in col]
            for name, col in out.items()
        }
        as_rows = [{name: json_cols[name][i] for name in outputs} for i in range(len(wanted))]
        assert all(len(c) == len(wanted) for c in json_cols.values()), f"transform(outputs={outputs}) row count"
        _compare(as_rows, wanted, f"transform(outputs={outputs})")


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v if isinstance(v, list) else spark_value(v)


def _compare(ours: list[dict[str, Any]], expected: list[dict[str, Any]], path: str) -> None:
    assert len(ours) == len(expected), f"{path}: {len(ours)} rows vs Spark {len(expected)}"
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        for col, val in b.items():
            assert col in a, f"{path} row {i}: column {col!r} missing"
            assert_close(a[col], val, f"{path} row {i} column {col!r}")
