"""Fitted scalers: StandardScalerModel, MinMaxScalerModel, MaxAbsScalerModel, RobustScalerModel."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import scalers as sm
from ..vectors import Vector, VectorColumn, compressed, to_dense, vector_size
from .base import Stage, register, row_vector


class _VectorScaler(Stage):
    """Shared wiring: one vector column in, one out, vectors of the fitted size."""

    data_columns: tuple[str, ...] = ()

    def __init__(self, meta: StageMetadata, data: dict[str, np.ndarray]) -> None:
        super().__init__(meta)
        self.input_col = str(meta.require("inputCol"))
        self.output_col = str(meta.require("outputCol"))
        self.data = data
        self.size = len(next(iter(data.values())))

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        rows = read_rows(meta.path)
        if len(rows) != 1 or any(c not in rows[0] for c in cls.data_columns):
            raise ModelLoadError(f"{meta.path}/data: expected one row with {', '.join(cls.data_columns)}")
        data = {c: to_dense(decode_vector(rows[0][c])) for c in cls.data_columns}
        if len({len(v) for v in data.values()}) != 1:
            raise ModelLoadError(f"{meta.path}/data: {', '.join(cls.data_columns)} differ in size")
        return cls(meta, data)

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _wrong_size(self, got: int, row: int | None) -> Exception:
        return self.invalid(
            f"vector of size {got}, the model was fitted on size {self.size}", column=self.input_col, row=row
        )

    def _input_column(self, frame: Frame) -> VectorColumn:
        x = frame.vectors(self.input_col, self.name)
        if len(x) == 0:  # e.g. every row skipped earlier: an empty column of the fitted size
            return VectorColumn.from_dense(np.zeros((0, self.size)))
        if x.size != self.size:
            raise self._wrong_size(x.size, 0)
        return x

    def _input_vector(self, row: dict[str, Any]) -> Vector:
        v = row_vector(self, row, self.input_col)
        if vector_size(v) != self.size:
            raise self._wrong_size(vector_size(v), None)
        return v


class _ShiftScale(_VectorScaler):
    """Spark's ``StandardScalerModel.getTransformFunc``: with a shift the output is dense;
    scaling alone keeps each vector's dense or sparse structure."""

    shift: np.ndarray | None
    scale: np.ndarray | None

    def transform_batch(self, frame: Frame) -> None:
        x = self._input_column(frame)
        if self.shift is not None:
            out = VectorColumn.from_dense(sm.shift_scale_rows(x.to_dense(), self.shift, self.scale))
        elif self.scale is not None:
            out = sm.scale_column(x, self.scale)
        else:
            out = x
        frame.set(self.output_col, out)

    def transform_row(self, row: dict[str, Any]) -> None:
        v = self._input_vector(row)
        if self.shift is not None:
            row[self.output_col] = sm.shift_scale_rows(to_dense(v), self.shift, self.scale)
        elif self.scale is not None:
            row[self.output_col] = sm.scale_vector(v, self.scale)
        else:
            row[self.output_col] = v


@register("org.apache.spark.ml.feature.StandardScalerModel")
class StandardScalerModel(_ShiftScale):
    """``StandardScalerModel``: ``(x - mean) * (1 / std)``; 1/std is 0 where std == 0."""

    data_columns = ("std", "mean")

    def __init__(self, meta: StageMetadata, data: dict[str, np.ndarray]) -> None:
        super().__init__(meta, data)
        self.shift = data["mean"] if bool(meta.get("withMean", False)) else None
        self.scale = sm.reciprocal_or(data["std"], 0.0) if bool(meta.get("withStd", True)) else None


@register("org.apache.spark.ml.feature.RobustScalerModel")
class RobustScalerModel(_ShiftScale):
    """``RobustScalerModel``: ``(x - median) * (1 / range)`` of the saved quantile range (0 where range == 0)."""

    data_columns = ("range", "median")

    def __init__(self, meta: StageMetadata, data: dict[str, np.ndarray]) -> None:
        super().__init__(meta, data)
        self.shift = data["median"] if bool(meta.get("withCentering", False)) else None
        self.scale = sm.reciprocal_or(data["range"], 0.0) if bool(meta.get("withScaling", True)) else None


@register("org.apache.spark.ml.feature.MaxAbsScalerModel")
class MaxAbsScalerModel(_ShiftScale):
    """``MaxAbsScalerModel``: ``x * (1 / maxAbs)`` (1 where maxAbs == 0), sparsity kept."""

    data_columns = ("maxAbs",)

    def __init__(self, meta: StageMetadata, data: dict[str, np.ndarray]) -> None:
        super().__init__(meta, data)
        self.shift = None
        self.scale = sm.reciprocal_or(data["maxAbs"], 1.0)


@register("org.apache.spark.ml.feature.MinMaxScalerModel")
class MinMaxScalerModel(_VectorScaler):
    """``MinMaxScalerModel``: rescale to [min, max]; a constant feature gives (min + max) / 2,
    NaN stays NaN, and each output vector is ``compressed``."""

    data_columns = ("originalMin", "originalMax")

    def __init__(self, meta: StageMetadata, data: dict[str, np.ndarray]) -> None:
        super().__init__(meta, data)
        self.lo = meta.double("min", 0.0)
        self.hi = meta.double("max", 1.0)
        self.original_min = data["originalMin"]
        self.factors = sm.minmax_scale_factors(data["originalMin"], data["originalMax"], self.lo, self.hi)
        self.byte_sizes = meta.spark_at_least(4, 1)  # Spark 4.1 changed `compressed`

    def _scale(self, x: np.ndarray) -> np.ndarray:
        return sm.minmax_rows(x, self.original_min, self.factors, self.lo, self.hi)

    def transform_batch(self, frame: Frame) -> None:
        out = self._scale(self._input_column(frame).to_dense())
        frame.set(self.output_col, VectorColumn.from_dense(out).compressed(byte_sizes=self.byte_sizes))

    def transform_row(self, row: dict[str, Any]) -> None:
        out = self._scale(to_dense(self._input_vector(row)))
        row[self.output_col] = compressed(out, byte_sizes=self.byte_sizes)
