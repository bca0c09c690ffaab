"""IsotonicRegressionModel: piecewise-linear prediction through the fitted boundaries."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.isotonic import predict, predict_one
from ..vectors import SparseVector, VectorColumn, parse_vector
from .base import Stage, register, row_value
from .classification import output_col


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


@register("org.apache.spark.ml.regression.IsotonicRegressionModel")
class IsotonicRegression(Stage):
    """Isotonic regression of a double column, or of entry ``featureIndex`` of a vector column."""

    def __init__(self, meta: StageMetadata, boundaries: list[float], predictions: list[float]) -> None:
        super().__init__(meta)
        if not boundaries or len(boundaries) != len(predictions):
            raise ModelLoadError(f"{meta.path}: {len(boundaries)} boundaries for {len(predictions)} predictions")
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = output_col(meta, "predictionCol", "prediction")
        self.feature_index = int(meta.get("featureIndex", 0))
        self.boundaries, self.predictions = boundaries, predictions
        self._b, self._p = np.array(boundaries), np.array(predictions)

    @classmethod
    def load(cls, meta: StageMetadata) -> IsotonicRegression:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data holds no rows: the saved model is incomplete")
        return cls(meta, [float(v) for v in rows[0]["boundaries"]], [float(v) for v in rows[0]["predictions"]])

    def input_fields(self) -> list[Field]:
        # A double, or a vector whose featureIndex entry is used (as Spark, by the column's type).
        return [Field(self.features_col, "double", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.pred_col, "double", nullable=False)] if self.pred_col else []

    def _entry(self, x: Any) -> float:
        if isinstance(x, SparseVector):
            pos = np.searchsorted(x.indices, self.feature_index)
            hit = pos < len(x.indices) and x.indices[pos] == self.feature_index
            return float(x.values[pos]) if hit else 0.0
        return float(x[self.feature_index])

    def _feature(self, value: Any, row: int | None) -> float:
        if _is_number(value):
            return float(value)
        if value is None:
            raise self.invalid("null value", column=self.features_col, row=row)
        vec = value if isinstance(value, (np.ndarray, SparseVector)) else parse_vector(value, column=self.features_col)
        size = vec.size if isinstance(vec, SparseVector) else len(vec)
        if not 0 <= self.feature_index < size:
            raise self.invalid(
                f"featureIndex {self.feature_index} is outside a vector of size {size}",
                column=self.features_col,
                row=row,
            )
        return self._entry(vec)

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.features_col, self.name)
        if isinstance(col, VectorColumn):
            if len(col) and not 0 <= self.feature_index < col.size:
                raise self.invalid(
                    f"featureIndex {self.feature_index} is outside a vector of size {col.size}",
                    column=self.features_col,
                    row=0,
                )
            x = col.to_dense()[:, self.feature_index] if len(col) else np.zeros(0)
        elif isinstance(col, np.ndarray) and col.dtype.kind in "fiu":
            x = col.astype(np.float64)
        else:
            x = np.fromiter((self._feature(v, r) for r, v in enumerate(col)), dtype=np.float64, count=len(col))
        if self.pred_col:
            frame.set(self.pred_col, predict(self._b, self._p, x))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = self._feature(row_value(self, row, self.features_col), None)
        if self.pred_col:
            row[self.pred_col] = predict_one(self.boundaries, self.predictions, x)
