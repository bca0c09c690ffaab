"""The ``score_batch`` job: apply a published model version with Spark to a dataset and write the results.

This is the offline context of the same artifact the scorers serve. A spec::

    {"model": "tutorial", "version": "3" | "production" | null,
     "data": {...},                                   # as for training
     "output": {"path": "/data/out/scored", "format": "parquet|csv|json",
                "mode": "error" | "overwrite", "columns": ["id", "prediction"]?}}

The version is resolved through the registry (a number, an alias, or null for the
"production" alias if set, else the latest servable version). Vectors are written as
arrays for json, and as JSON text for csv (which has no array type); parquet keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data import DataSpec, load_data, parse_data_spec, resolve_under_roots
from .errors import DataError, JobError, SpecError, readable_message
from .job import JobOutcome, RunningJob
from .published import PublishedModels
from .spec import check_model_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

OUTPUT_FORMATS = ("parquet", "csv", "json")
_MODES = {"error": "errorifexists", "overwrite": "overwrite"}
_WRITE: dict[str, dict[str, str]] = {"parquet": {}, "json": {}, "csv": {"header": "true"}}
_READ_BACK = _WRITE
_FIELDS = {"model", "version", "data", "output"}
_OUTPUT_FIELDS = {"path", "format", "mode", "columns"}


@dataclass(frozen=True)
class BatchSpec:
    """A validated ``score_batch`` request."""

    model: str
    version: str | None
    data: DataSpec
    output_path: str
    output_format: str
    mode: str
    columns: tuple[str, ...] | None


def parse_batch_spec(raw: Mapping[str, Any]) -> BatchSpec:
    """Validate a ``score_batch`` spec (shape only; paths are checked against the data roots when it runs)."""
    if not isinstance(raw, Mapping):
        raise SpecError(f"a score_batch spec must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise SpecError(f"score_batch spec: unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}")
    model = check_model_name(raw.get("model"))
    version = raw.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if version is not None and (not isinstance(version, str) or not version):
        raise SpecError(f"'version' must be a version number, an alias, or null; got {version!r}")
    if "data" not in raw:
        raise SpecError("a score_batch spec needs 'data' to score")
    data = parse_data_spec(raw["data"])
    output = raw.get("output")
    if not isinstance(output, Mapping) or not isinstance(output.get("path"), str) or not output["path"]:
        raise SpecError("a score_batch spec needs 'output': {'path': ..., 'format': 'parquet'|'csv'|'json'}")
    unknown = sorted(set(output) - _OUTPUT_FIELDS)
    if unknown:
        raise SpecError(f"'output': unknown field(s) {unknown}; allowed: {sorted(_OUTPUT_FIELDS)}")
    fmt = output.get("format", "parquet")
    if fmt not in OUTPUT_FORMATS:
        raise SpecError(f"'output.format' must be one of {', '.join(OUTPUT_FORMATS)}, got {fmt!r}")
    mode = output.get("mode", "error")
    if mode not in _MODES:
        raise SpecError(f"'output.mode' must be 'error' (refuse to replace) or 'overwrite', got {mode!r}")
    columns = output.get("columns")
    if columns is not None and (
        not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns)
    ):
        raise SpecError("'output.columns' must be a non-empty list of column names")
    return BatchSpec(model, version, data, output["path"], fmt, mode, tuple(columns) if columns else None)


def run_score_batch(runner: RunningJob, job_dir: Path) -> JobOutcome:
    """Run a ``score_batch`` job to its PUBLISHED outcome (results written to the output path)."""
    from pyspark.ml import PipelineModel

    ctx, phases = runner.ctx, runner.phases
    phases.name = "validating the spec"
    spec = parse_batch_spec(runner.request.spec())
    output = resolve_under_roots(spec.output_path, ctx.settings.data_roots)

    phases.enter("resolving the model", 0.0, 0.1)
    if ctx.models is None:
        ctx.models = PublishedModels(ctx.kafka, ctx.work_dir / "models")
    version, model_dir = ctx.models.resolve(spec.model, spec.version)
    try:
        model = PipelineModel.load(str(model_dir))
    except Exception as exc:
        raise JobError(f"cannot load {spec.model} version {version} with Spark: {readable_message(exc)}") from None
    runner.check_cancelled()

    phases.enter("loading data", 0.1, 0.2)
    data = load_data(
        ctx.spark, spec.data, ctx.settings.data_roots, kafka=ctx.kafka, topic_max_records=ctx.settings.topic_max_records
    )
    runner.check_cancelled()

    phases.enter("scoring", 0.2, 0.95)
    scored = model.transform(data)
    if spec.columns is not None:
        missing = [c for c in spec.columns if c not in scored.columns]
        if missing:
            raise SpecError(f"'output.columns' {missing} are not produced; available: {', '.join(scored.columns)}")
        scored = scored.select(*spec.columns)
    writable = for_format(scored, spec.output_format)
    try:
        writable.write.mode(_MODES[spec.mode]).format(spec.output_format).options(**_WRITE[spec.output_format]).save(
            output
        )
    except Exception as exc:
        raise DataError(
            f"cannot write {spec.output_format} results to {spec.output_path}: {readable_message(exc)}"
        ) from None
    rows = ctx.spark.read.format(spec.output_format).options(**_READ_BACK[spec.output_format]).load(output).count()
    return JobOutcome(
        "published",
        f"scored {spec.data.describe()} with {spec.model} version {version}; wrote {spec.output_format} to {output}",
        {"model": spec.model, "version": version, "output": output, "format": spec.output_format, "rows": rows},
    )


def for_format(frame: DataFrame, fmt: str) -> DataFrame:
    """Make ``frame`` writable as ``fmt``: vectors become arrays (json) or JSON text (csv, with arrays)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StructType

    if fmt == "parquet":
        return frame
    columns = []
    for field in frame.schema.fields:
        col = F.col(f"`{field.name}`")
        if isinstance(field.dataType, VectorUDT):
            col = vector_to_array(col)
        if fmt == "csv" and isinstance(field.dataType, (VectorUDT, ArrayType, MapType, StructType)):
            col = F.to_json(col)
        columns.append(col.alias(field.name))
    return frame.select(*columns)
