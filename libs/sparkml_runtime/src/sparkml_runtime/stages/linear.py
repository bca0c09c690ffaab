"""Linear models: LogisticRegressionModel (more linear models are added beside it)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..frame import Field, Frame
from ..io.data import decode_matrix, decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import linear as lm
from ..vectors import VectorColumn, to_dense, vector_size
from .base import Stage, register, row_vector


def _optional_col(meta: StageMetadata, name: str, default: str) -> str:
    """An output column param; Spark skips the column when it is set to ""."""
    return str(meta.get(name, default) or "")


@register("org.apache.spark.ml.classification.LogisticRegressionModel")
class LogisticRegression(Stage):
    """Binary and multinomial logistic regression with Spark's threshold(s) rules."""

    def __init__(self, meta: StageMetadata, coef: np.ndarray, intercept: np.ndarray, multinomial: bool) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.raw_col = _optional_col(meta, "rawPredictionCol", "rawPrediction")
        self.prob_col = _optional_col(meta, "probabilityCol", "probability")
        self.pred_col = _optional_col(meta, "predictionCol", "prediction")
        self.coef_matrix = coef
        self.intercepts = intercept
        self.multinomial = multinomial
        self.num_classes = coef.shape[0] if multinomial else 2
        self.thresholds = np.asarray(meta.get("thresholds"), dtype=np.float64) if meta.has("thresholds") else None
        if not multinomial:
            self.coef = coef[0]
            self.intercept = float(intercept[0])
            if self.thresholds is not None and len(self.thresholds) == 2:
                t0, t1 = self.thresholds
                self.threshold = 1.0 / (1.0 + t0 / t1) if t1 != 0 else 1.0
            else:
                self.threshold = meta.double("threshold", 0.5)
            t = self.threshold
            self.raw_threshold = -math.inf if t == 0.0 else math.inf if t == 1.0 else math.log(t / (1.0 - t))

    @classmethod
    def load(cls, meta: StageMetadata) -> LogisticRegression:
        row = read_rows(meta.path)[0]
        if "coefficientMatrix" in row:
            coef = decode_matrix(row["coefficientMatrix"])
            intercept = to_dense(decode_vector(row["interceptVector"]))
            multinomial = bool(row["isMultinomial"])
        else:  # Spark < 2.1: binary only, "coefficients" and "intercept"
            coef = to_dense(decode_vector(row["coefficients"]))[None, :]
            intercept = np.array([float(row["intercept"])])
            multinomial = False
        return cls(meta, coef, intercept, multinomial)

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        cols = [(self.raw_col, "vector"), (self.prob_col, "vector"), (self.pred_col, "double")]
        return [Field(name, kind, nullable=False) for name, kind in cols if name]

    # Predictions follow ProbabilisticClassificationModel.transform: from rawPrediction when
    # that column is on and no thresholds are set, else from probability.
    def _use_raw_for_prediction(self) -> bool:
        return bool(self.raw_col) and self.thresholds is None

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        if vector_size(x) != self.coef_matrix.shape[1]:
            raise self.invalid(
                f"features have size {vector_size(x)}, the model expects {self.coef_matrix.shape[1]}",
                column=self.features_col,
            )
        if not self.multinomial:
            m = lm.dot(x, self.coef) + self.intercept
            p1 = lm.sigmoid_scalar(m)
            p0 = lm.sigmoid_scalar(-m)
            if self.raw_col:
                row[self.raw_col] = np.array([-m, m])
            if self.prob_col:
                row[self.prob_col] = np.array([p0, p1])
            if self.pred_col:
                hit = m > self.raw_threshold if self._use_raw_for_prediction() else p1 > self.threshold
                row[self.pred_col] = 1.0 if hit else 0.0
            return
        frame = Frame({self.features_col: VectorColumn.from_values([x])}, 1)
        self.transform_batch(frame)
        for f in self.output_fields():
            row[f.name] = frame.value(f.name, 0)

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if x.size != self.coef_matrix.shape[1] and len(x):
            raise self.invalid(
                f"features have size {x.size}, the model expects {self.coef_matrix.shape[1]}",
                column=self.features_col,
                row=0,
            )
        if not self.multinomial:
            m = lm.margins(x, self.coef, self.intercept)
            raw = np.column_stack([-m, m])
            prob = lm.sigmoid(raw)
            if self._use_raw_for_prediction():
                pred = (m > self.raw_threshold).astype(np.float64)
            else:
                pred = (prob[:, 1] > self.threshold).astype(np.float64)
        else:
            raw = lm.margin_matrix(x, self.coef_matrix, self.intercepts)
            prob = lm.spark_softmax(raw)
            if self.thresholds is None:
                pred = raw.argmax(axis=1).astype(np.float64)
            else:
                pred = lm.scaled_argmax(prob, self.thresholds)
        if self.raw_col:
            frame.set(self.raw_col, VectorColumn.from_dense(raw))
        if self.prob_col:
            frame.set(self.prob_col, VectorColumn.from_dense(prob))
        if self.pred_col:
            frame.set(self.pred_col, pred)
