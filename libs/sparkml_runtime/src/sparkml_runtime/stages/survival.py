"""AFTSurvivalRegressionModel: Weibull AFT prediction and, with ``quantilesCol``, its quantiles."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import linear as lm
from ..math.survival import quantile_factors, quantiles
from ..vectors import VectorColumn, to_dense, vector_size
from .base import Stage, register, row_vector
from .classification import empty_features, output_col

_DEFAULT_PROBABILITIES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]


@register("org.apache.spark.ml.regression.AFTSurvivalRegressionModel")
class AFTSurvivalRegression(Stage):
    """AFT survival: prediction λ = exp(x · w + b); quantile q = λ · exp(log(-log1p(-q)) · scale)."""

    def __init__(self, meta: StageMetadata, coef: np.ndarray, intercept: float, scale: float) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = output_col(meta, "predictionCol", "prediction")
        self.quantiles_col = str(meta.get("quantilesCol", "") or "")
        probs = [float(q) for q in meta.get("quantileProbabilities", _DEFAULT_PROBABILITIES)]
        self.factors = quantile_factors(probs, scale)
        self.coef, self.intercept = coef, intercept

    @classmethod
    def load(cls, meta: StageMetadata) -> AFTSurvivalRegression:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data holds no rows: the saved model is incomplete")
        coef = to_dense(decode_vector(rows[0]["coefficients"]))
        return cls(meta, coef, float(rows[0]["intercept"]), float(rows[0]["scale"]))

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        cols = [(self.pred_col, "double"), (self.quantiles_col, "vector")]
        return [Field(name, kind, nullable=False) for name, kind in cols if name]

    def _size_error(self, size: int, row: int | None) -> Exception:
        return self.invalid(
            f"features have size {size}, the model expects {self.coef.shape[0]}", column=self.features_col, row=row
        )

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if not len(x):
            x = empty_features(self.coef.shape[0])
        if x.size != self.coef.shape[0]:
            raise self._size_error(x.size, 0)
        with np.errstate(over="ignore"):
            lam = np.exp(lm.margins(x, self.coef, self.intercept))
        if self.pred_col:
            frame.set(self.pred_col, lam)
        if self.quantiles_col:
            frame.set(self.quantiles_col, VectorColumn.from_dense(quantiles(lam, self.factors)))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        if vector_size(x) != self.coef.shape[0]:
            raise self._size_error(vector_size(x), None)
        margin = lm.dot(x, self.coef) + self.intercept
        lam = math.exp(margin) if margin < 709.78 else math.inf
        if self.pred_col:
            row[self.pred_col] = lam
        if self.quantiles_col:
            row[self.quantiles_col] = lam * self.factors
