"""Factorization machines: FMClassificationModel and FMRegressionModel."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import decode_matrix, decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import fm
from ..math.linear import sigmoid, sigmoid_scalar
from ..vectors import SparseVector, Vector, VectorColumn
from .base import Stage, register, row_vector
from .classification import ProbabilisticClassifier, empty_features, output_col


def _fm_data(meta: StageMetadata) -> tuple[float, np.ndarray, np.ndarray]:
    rows = read_rows(meta.path)
    if not rows:
        raise ModelLoadError(f"{meta.path}/data holds no rows: the saved {meta.short_class} is incomplete")
    linear = decode_vector(rows[0]["linear"])
    dense = linear.to_dense() if isinstance(linear, SparseVector) else linear
    factors = decode_matrix(rows[0]["factors"])
    if factors.shape[0] != dense.shape[0]:
        raise ModelLoadError(f"{meta.path}: {factors.shape[0]} factor rows for {dense.shape[0]} features")
    return float(rows[0]["intercept"]), dense, factors


@register("org.apache.spark.ml.classification.FMClassificationModel")
class FMClassifier(ProbabilisticClassifier):
    """FM classifier: score s as in FMRegression; raw = [-s, s]; probability = [1 - σ(s), σ(s)]."""

    def __init__(self, meta: StageMetadata, intercept: float, linear: np.ndarray, factors: np.ndarray) -> None:
        super().__init__(meta, 2, linear.shape[0])
        self.intercept, self.linear, self.factors = intercept, linear, factors

    @classmethod
    def load(cls, meta: StageMetadata) -> FMClassifier:
        return cls(meta, *_fm_data(meta))

    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        s = fm.scores(x, self.intercept, self.linear, self.factors)
        return np.column_stack([-s, s])

    def raw_row(self, x: Vector) -> list[float]:
        s = fm.score_row(x, self.intercept, self.linear, self.factors)
        return [-s, s]

    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        p = sigmoid(raw[:, 1])
        return np.column_stack([1.0 - p, p])

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        p = sigmoid_scalar(raw[1])
        return [1.0 - p, p]


@register("org.apache.spark.ml.regression.FMRegressionModel")
class FMRegressor(Stage):
    """FM regression: ``b + x · w + Σ_f ½ ((Σ_i v_if x_i)² - Σ_i (v_if x_i)²)``."""

    def __init__(self, meta: StageMetadata, intercept: float, linear: np.ndarray, factors: np.ndarray) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = output_col(meta, "predictionCol", "prediction")
        self.intercept, self.linear, self.factors = intercept, linear, factors

    @classmethod
    def load(cls, meta: StageMetadata) -> FMRegressor:
        return cls(meta, *_fm_data(meta))

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.pred_col, "double", nullable=False)] if self.pred_col else []

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        size = self.linear.shape[0]
        if not len(x):
            x = empty_features(size)
        elif x.size != size:
            raise self.invalid(
                f"features have size {x.size}, the model expects {size}", column=self.features_col, row=0
            )
        if self.pred_col:
            frame.set(self.pred_col, fm.scores(x, self.intercept, self.linear, self.factors))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        size = x.size if isinstance(x, SparseVector) else len(x)
        if size != self.linear.shape[0]:
            raise self.invalid(
                f"features have size {size}, the model expects {self.linear.shape[0]}", column=self.features_col
            )
        if self.pred_col:
            row[self.pred_col] = fm.score_row(x, self.intercept, self.linear, self.factors)
