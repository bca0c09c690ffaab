"""Parity certificate: score a sample with Spark and with sparkml_runtime, and compare every output.

Spark's output is the reference. For each column Spark adds, the certificate records the
rows compared, the largest absolute and relative differences of numbers (vectors element
by element) and the exact-match rate (predictions, indices, tokens). A model is servable
only if the runtime loads it, keeps and drops the same rows, and every value is within
tolerance; otherwise the certificate says why, and the model is published as not servable
(batch scoring with Spark still works) — never silently.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import readable_message
from .values import json_row, json_value

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

ROW_ID = "__spindrift_row"
_SAMPLE_INPUTS = 20


@dataclass
class ColumnParity:
    """How one output column compares between the runtime and Spark."""

    name: str
    kind: str  # "number", "vector" or "exact"
    compared: int = 0
    exact_matches: int = 0
    max_abs_diff: float = 0.0
    max_rel_diff: float = 0.0
    failures: int = 0
    first_failure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for the manifest."""
        rate = self.exact_matches / self.compared if self.compared else None
        out: dict[str, Any] = {"kind": self.kind, "compared": self.compared, "exact_match_rate": rate}
        if self.kind != "exact":
            out.update({"max_abs_diff": self.max_abs_diff, "max_rel_diff": self.max_rel_diff})
        out["within_tolerance"] = self.failures == 0
        if self.first_failure:
            out["first_failure"] = self.first_failure
        return out


@dataclass
class Certificate:
    """The verdict: servable or not (with the reason), and the evidence per column."""

    servable: bool
    reason: str | None
    rows_compared: int = 0
    rel_tol: float = 1e-9
    abs_tol: float = 1e-12
    columns: dict[str, ColumnParity] = field(default_factory=dict)
    input_schema: list[dict[str, Any]] = field(default_factory=list)
    output_schema: list[dict[str, Any]] = field(default_factory=list)
    sample_inputs: list[dict[str, Any]] = field(default_factory=list)
    """The first sample rows, input columns only (JSON-ready), for the manifest's ``sample_rows``."""
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The ``parity`` section of the manifest."""
        import sparkml_runtime

        return {
            "servable": self.servable,
            "reason": self.reason,
            "rows_compared": self.rows_compared,
            "rel_tol": self.rel_tol,
            "abs_tol": self.abs_tol,
            "runtime_version": sparkml_runtime.__version__,
            "columns": {name: c.to_dict() for name, c in self.columns.items()},
            "elapsed_s": round(self.elapsed_s, 3),
        }


def certify(
    model: PipelineModel,
    model_dir: Path,
    sample: DataFrame,
    *,
    max_rows: int = 200,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
) -> Certificate:
    """Compare Spark's ``model.transform`` with sparkml_runtime loaded from ``model_dir`` on up to ``max_rows`` rows."""
    from sparkml_runtime import SparkMLRuntimeError, load_pipeline

    started = time.monotonic()
    rows = sample.limit(max_rows).collect()
    sample_columns = list(sample.columns)
    spark_out, spark_error = _spark_outputs(model, sample, rows)
    added = [c for c in spark_out[0] if c not in sample_columns and c != ROW_ID] if spark_out else []
    cert = Certificate(servable=False, reason=None, rel_tol=rel_tol, abs_tol=abs_tol)
    cert.input_schema, cert.output_schema = _spark_schemas(model, sample, sample_columns)
    try:
        runtime = load_pipeline(model_dir)
    except SparkMLRuntimeError as exc:
        cert.reason = f"sparkml_runtime cannot load the model: {exc}"
        return _done(cert, started, rows)
    cert.input_schema = [f.to_dict() for f in runtime.input_schema]
    cert.output_schema = [f.to_dict() for f in runtime.output_schema]
    if spark_error is not None:
        cert.reason = f"Spark could not score the certification sample: {spark_error}"
        return _done(cert, started, rows)
    if not rows:
        cert.reason = "no rows to certify on (the sample is empty)"
        return _done(cert, started, rows)
    needed = [f.name for f in runtime.input_schema if f.name in sample_columns]
    inputs = [json_row(r, needed) for r in rows]
    try:
        ours = runtime.transform_rows(inputs, errors="return")
    except Exception as exc:  # a runtime bug must not crash the job: it makes the model not servable
        cert.reason = f"sparkml_runtime failed on the sample: {readable_message(exc)}"
        return _done(cert, started, rows)
    cert.reason = _compare(cert, ours, spark_out, added)
    cert.rows_compared = len(rows)
    cert.servable = cert.reason is None
    return _done(cert, started, rows)


def _done(cert: Certificate, started: float, rows: Sequence[Any] = ()) -> Certificate:
    names = [f["name"] for f in cert.input_schema]
    cert.sample_inputs = [json_row(r, names) for r in rows[:_SAMPLE_INPUTS]]
    cert.elapsed_s = time.monotonic() - started
    return cert


def _spark_outputs(
    model: PipelineModel, sample: DataFrame, rows: Sequence[Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """Spark's output for exactly the collected rows, each tagged with its position."""
    from pyspark.sql.types import LongType, StructField, StructType

    if not rows:
        return [], None
    schema = StructType([StructField(ROW_ID, LongType(), False), *sample.schema.fields])
    tagged = sample.sparkSession.createDataFrame([(i, *tuple(r)) for i, r in enumerate(rows)], schema=schema)
    try:
        out = model.transform(tagged).collect()
    except Exception as exc:
        return [], readable_message(exc)
    return [r.asDict() for r in out], None


def _spark_schemas(
    model: PipelineModel, sample: DataFrame, sample_columns: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Input and output columns as Spark sees them (used when the runtime cannot load the model)."""
    try:
        out_schema = model.transform(sample).schema
    except Exception:
        out_schema = None
    inputs = [{"name": f.name, "type": f.dataType.simpleString(), "nullable": f.nullable} for f in sample.schema.fields]
    if out_schema is None:
        return inputs, []
    outputs = [
        {"name": f.name, "type": _spark_type(f.dataType), "nullable": f.nullable}
        for f in out_schema.fields
        if f.name not in sample_columns
    ]
    return inputs, outputs


def _spark_type(data_type: Any) -> str:
    from pyspark.ml.linalg import VectorUDT

    return "vector" if isinstance(data_type, VectorUDT) else data_type.simpleString()


def _compare(cert: Certificate, ours: list[Any], spark_out: list[dict[str, Any]], added: list[str]) -> str | None:
    """Fill ``cert.columns``; return the first reason the model is not servable, or None."""
    from sparkml_runtime import SparkMLRuntimeError

    by_row = {int(r[ROW_ID]): r for r in spark_out}
    reason: str | None = None
    for i, result in enumerate(ours):
        expected = by_row.get(i)
        kept_by_runtime = not isinstance(result, SparkMLRuntimeError)
        if expected is None and kept_by_runtime:
            reason = reason or f"row {i}: Spark drops it but sparkml_runtime scores it"
            continue
        if expected is not None and not kept_by_runtime:
            reason = reason or f"row {i}: Spark scores it but sparkml_runtime refuses it ({result})"
            continue
        if expected is None:
            continue  # both drop the row (handleInvalid='skip')
        for column in added:
            want = json_value(expected[column])
            parity = cert.columns.setdefault(column, ColumnParity(column, _kind(want)))
            if column not in result:
                parity.failures += 1
                parity.first_failure = parity.first_failure or f"row {i}: sparkml_runtime does not produce the column"
                continue
            _compare_value(parity, result[column], want, cert.rel_tol, cert.abs_tol, i)
    for parity in cert.columns.values():
        if parity.failures and reason is None:
            reason = f"column '{parity.name}' differs from Spark ({parity.first_failure})"
    return reason


def _kind(value: Any) -> str:
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict) and set(value) == {"size", "indices", "values"}:
        return "vector"
    if isinstance(value, list) and value and all(isinstance(v, float) for v in value):
        return "vector"
    return "exact"


def _compare_value(parity: ColumnParity, got: Any, want: Any, rel_tol: float, abs_tol: float, row: int) -> None:
    parity.compared += 1
    if got == want or (_is_nan(got) and _is_nan(want)):
        parity.exact_matches += 1
        return
    if parity.kind == "exact":
        _fail(parity, row, f"row {row}: {got!r} vs Spark {want!r}")
        return
    ours, theirs = _as_floats(got), _as_floats(want)
    if ours is None or theirs is None or len(ours) != len(theirs):
        _fail(parity, row, f"row {row}: {_short(got)} vs Spark {_short(want)}")
        return
    for a, b in zip(ours, theirs, strict=True):
        if _is_nan(a) or _is_nan(b):
            if not (_is_nan(a) and _is_nan(b)):
                _fail(parity, row, f"row {row}: {a!r} vs Spark {b!r}")
            continue
        diff = abs(a - b)
        scale = max(abs(a), abs(b))
        rel = diff / scale if scale > 0 else 0.0
        parity.max_abs_diff = max(parity.max_abs_diff, diff)
        parity.max_rel_diff = max(parity.max_rel_diff, rel)
        if diff > abs_tol and rel > rel_tol:
            _fail(parity, row, f"row {row}: {a!r} vs Spark {b!r} (relative difference {rel:.3g} > {rel_tol:g})")


def _fail(parity: ColumnParity, row: int, message: str) -> None:
    parity.failures += 1
    if parity.first_failure is None:
        parity.first_failure = message


def _as_floats(value: Any) -> list[float] | None:
    """A number or vector (dense list or sparse dict) as a flat list of floats, or None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, dict) and set(value) == {"size", "indices", "values"}:
        dense = [0.0] * int(value["size"])
        for index, v in zip(value["indices"], value["values"], strict=True):
            dense[int(index)] = float(v)
        return dense
    if isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    return None


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
