"""RFormulaModel and the Spark-private helper stages of its inner pipeline.

A fitted RFormula saves ``pipelineModel/``: StringIndexer / OneHotEncoder / Interaction /
VectorAssembler stages that build ``featuresCol``, a ``VectorAttributeRewriter`` (it only
renames ML attributes, so it changes no value), a ``ColumnPruner`` (it drops the helper
columns) and, for a string label (or ``forceIndexLabel``), a StringIndexer of the label.
``RFormulaModel.transform`` runs that pipeline, then casts a numeric or boolean label to
double under ``labelCol`` when it is present and not indexed; an absent label is skipped,
so rows without one are scored, as in Spark.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata, read_metadata
from .base import REGISTRY, Stage, register
from .schema import derive_schema


@register("org.apache.spark.ml.feature.ColumnPruner")
class ColumnPruner(Stage):
    """Drops the saved ``columnsToPrune`` (RFormula's intermediate columns)."""

    def __init__(self, meta: StageMetadata, columns: list[str]) -> None:
        super().__init__(meta)
        self.columns = columns

    @classmethod
    def load(cls, meta: StageMetadata) -> ColumnPruner:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data holds no rows: the saved ColumnPruner is incomplete")
        return cls(meta, [str(c) for c in rows[0].get("columnsToPrune") or []])

    def input_fields(self) -> list[Field]:
        return []

    def output_fields(self) -> list[Field]:
        return []

    def removed_columns(self) -> list[str]:
        return list(self.columns)

    def transform_batch(self, frame: Frame) -> None:
        for c in self.columns:
            frame.columns.pop(c, None)

    def transform_row(self, row: dict[str, Any]) -> None:
        for c in self.columns:
            row.pop(c, None)


@register("org.apache.spark.ml.feature.VectorAttributeRewriter")
class VectorAttributeRewriter(Stage):
    """Renames the ML attributes of RFormula's features column: no value changes."""

    def input_fields(self) -> list[Field]:
        return []

    def output_fields(self) -> list[Field]:
        return []

    def transform_batch(self, frame: Frame) -> None:
        return None

    def transform_row(self, row: dict[str, Any]) -> None:
        return None


def _inner_stages(meta: StageMetadata) -> list[Stage]:
    """The stages of ``pipelineModel/``, in order (by the directories' index prefix: the
    helper stages share the RFormula's uid, so uids do not identify them)."""
    inner = meta.path / "pipelineModel"
    if not (inner / "stages").is_dir():
        raise ModelLoadError(f"{meta.path}: the saved RFormulaModel has no pipelineModel/stages")
    dirs = [d for d in (inner / "stages").iterdir() if d.is_dir() and d.name.split("_", 1)[0].isdigit()]
    dirs.sort(key=lambda d: int(d.name.split("_", 1)[0]))
    stages: list[Stage] = []
    for d in dirs:
        sub = read_metadata(d)
        impl = REGISTRY.get(sub.class_name)
        if impl is None:
            raise UnsupportedStageError(meta.class_name, meta.uid, f"its inner stage {sub.class_name} is not supported")
        stages.append(impl.load(sub))
    return stages


@register("org.apache.spark.ml.feature.RFormulaModel")
class RFormulaModel(Stage):
    """RFormula: the saved inner pipeline builds features (and indexes a string label); a
    present numeric label is cast to double under labelCol; an absent label is skipped."""

    def __init__(self, meta: StageMetadata, stages: list[Stage], label: str | None) -> None:
        super().__init__(meta)
        self.stages = stages
        self.label = label or None
        self.label_col = str(meta.get("labelCol", "label"))
        self._inputs, self._outputs = derive_schema(stages)
        produced = {f.name for f in self._outputs}
        # The label is cast only when the pipeline does not index it into labelCol itself.
        self.casts_label = self.label is not None and self.label_col not in produced

    @classmethod
    def load(cls, meta: StageMetadata) -> RFormulaModel:
        rows = read_rows(meta.path)
        label = str(rows[0].get("label") or "") if rows else ""
        return cls(meta, _inner_stages(meta), label)

    def input_fields(self) -> list[Field]:
        fields = list(self._inputs)
        if self.casts_label and self.label not in {f.name for f in fields}:
            fields.append(Field(str(self.label), "double", nullable=True, required=False))
        return fields

    def output_fields(self) -> list[Field]:
        fields = list(self._outputs)
        if self.casts_label:
            fields.append(Field(self.label_col, "double", nullable=True, required=False))
        return fields

    def conditional_outputs(self) -> dict[str, str]:
        out = {}
        for stage in self.stages:
            out.update(stage.conditional_outputs())
        if self.casts_label and self.label is not None:
            out[self.label_col] = self.label
        return out

    def removed_columns(self) -> list[str]:
        return [c for stage in self.stages for c in stage.removed_columns()]

    def _cast(self, value: Any, row: int | None) -> float | None:
        if value is None:
            return None
        if isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_)):
            return float(value)
        raise self.invalid(f"unsupported type for the label: {type(value).__name__}", column=self.label, row=row)

    def transform_batch(self, frame: Frame) -> None:
        for stage in self.stages:
            stage.transform_batch(frame)
        if self.casts_label and self.label in frame.columns and self.label_col not in frame.columns:
            col = frame.raw(str(self.label), self.name)
            values = [self._cast(v, r) for r, v in enumerate(col.tolist() if isinstance(col, np.ndarray) else col)]
            if any(v is None for v in values):
                frame.set(self.label_col, values)
            else:
                frame.set(self.label_col, np.array(values, dtype=np.float64))

    def transform_row(self, row: dict[str, Any]) -> None:
        for stage in self.stages:
            stage.transform_row(row)
        if self.casts_label and self.label in row and self.label_col not in row:
            row[self.label_col] = self._cast(row[str(self.label)], None)
