"""What the stages saved before this one in the same PipelineModel say about its input columns.

Spark decides some behaviour from ML attribute metadata carried on DataFrame columns
(VectorAssembler's vector sizes under handleInvalid='keep', Interaction's one-hot widths).
That metadata is never saved with the stage itself; the runtime reconstructs the part it
needs from the stages that run earlier in the same saved pipeline, which this module lists.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelLoadError
from .metadata import StageMetadata, pipeline_stage_dirs, read_metadata

_PIPELINE_CLASS = "org.apache.spark.ml.PipelineModel"


def _flatten(stage_dir: Path) -> list[StageMetadata]:
    meta = read_metadata(stage_dir)
    if meta.class_name == _PIPELINE_CLASS:
        return [m for d in pipeline_stage_dirs(meta, complete=False) for m in _flatten(d)]
    return [meta]


def preceding_stages(meta: StageMetadata) -> list[StageMetadata]:
    """Metadata of every stage that runs before ``meta``'s stage, in run order.

    Nested PipelineModels are flattened and enclosing pipelines are followed outwards. A
    stage saved on its own (not inside a PipelineModel) has no preceding stages.
    """
    stage_dir = Path(meta.path)
    stages_dir = stage_dir.parent
    if stages_dir.name != "stages":
        return []
    pipeline_dir = stages_dir.parent
    try:
        pipeline_meta = read_metadata(pipeline_dir)
    except ModelLoadError:
        return []
    if pipeline_meta.class_name != _PIPELINE_CLASS:
        return []
    before: list[StageMetadata] = preceding_stages(pipeline_meta)
    for d in pipeline_stage_dirs(pipeline_meta, complete=False):
        if d.resolve() == stage_dir.resolve():
            break
        before.extend(_flatten(d))
    return before


def output_columns(meta: StageMetadata) -> list[str]:
    """Columns a stage adds or rewrites, read from its common output params."""
    names: list[str] = []
    for key in ("outputCol", "predictionCol", "rawPredictionCol", "probabilityCol"):
        value = meta.params.get(key)
        if isinstance(value, str) and value:
            names.append(value)
    cols = meta.params.get("outputCols")
    if isinstance(cols, list):
        names.extend(str(c) for c in cols)
    if meta.short_class == "VectorSizeHint" and isinstance(meta.params.get("inputCol"), str):
        names.append(meta.params["inputCol"])
    return names


def producers(meta: StageMetadata) -> dict[str, StageMetadata]:
    """For each column written by a preceding stage, the last stage that wrote it."""
    out: dict[str, StageMetadata] = {}
    for m in preceding_stages(meta):
        for col in output_columns(m):
            out[col] = m
    return out
