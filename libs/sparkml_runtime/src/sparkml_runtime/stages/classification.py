"""What Spark's classification models share: columns, raw → probability → prediction.

:class:`Classifier` follows ``ClassificationModel.transform`` (rawPrediction, prediction);
:class:`ProbabilisticClassifier` follows ``ProbabilisticClassificationModel.transform``,
which also adds probability and applies ``thresholds``. A model family supplies only its raw
scores and its raw → probability rule, in a batch form (numpy over all rows) and a row form
(plain lists of floats, for the one-row path).

Which rule makes the prediction depends on the columns switched on, as in Spark: from
rawPrediction when that column is produced, else from probability, else from the features.
A family may override any of those rules (logistic regression's binary threshold does).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..math import classification as cm
from ..vectors import Vector, VectorColumn, vector_size
from .base import Stage, first_true, row_vector


def output_col(meta: StageMetadata, name: str, default: str) -> str:
    """An output column param; Spark skips the column when it is set to ""."""
    return str(meta.get(name, default) or "")


class Classifier(Stage):
    """A ``ClassificationModel``: rawPrediction and prediction from a feature vector."""

    def __init__(self, meta: StageMetadata, num_classes: int, num_features: int | None) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.raw_col = output_col(meta, "rawPredictionCol", "rawPrediction")
        self.pred_col = output_col(meta, "predictionCol", "prediction")
        self.num_classes = num_classes
        self.num_features = num_features

    # --- what a family supplies -----------------------------------------------------------
    @abstractmethod
    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        """``predictRaw`` for every row: an (n, num_classes) array."""

    @abstractmethod
    def raw_row(self, x: Vector) -> list[float]:
        """``predictRaw`` for one feature vector."""

    def raw_to_prediction_batch(self, raw: np.ndarray) -> np.ndarray:
        """``raw2prediction``: the index of the largest raw score."""
        return cm.argmax(raw)

    def raw_to_prediction_row(self, raw: list[float]) -> float:
        """Row form of :meth:`raw_to_prediction_batch`."""
        return cm.argmax_row(raw)

    def predict_batch(self, x: VectorColumn) -> np.ndarray:
        """``predict``, used when no raw or probability column is produced."""
        return self.raw_to_prediction_batch(self.raw_batch(x))

    def predict_row(self, x: Vector) -> float:
        """Row form of :meth:`predict_batch`."""
        return self.raw_to_prediction_row(self.raw_row(x))

    # --- contract ---------------------------------------------------------------------------
    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        cols = [(self.raw_col, "vector"), (self.pred_col, "double")]
        return [Field(name, kind, nullable=False) for name, kind in cols if name]

    def features_batch(self, frame: Frame) -> VectorColumn:
        """The features column, checked against the model's feature count."""
        x = frame.vectors(self.features_col, self.name)
        if self.num_features is not None and not len(x):
            return empty_features(self.num_features)
        if self.num_features is not None and x.size != self.num_features:
            raise self.invalid(
                f"features have size {x.size}, the model expects {self.num_features}", column=self.features_col, row=0
            )
        return x

    def features_row(self, row: dict[str, Any]) -> Vector:
        """One row's feature vector, checked against the model's feature count."""
        x = row_vector(self, row, self.features_col)
        if self.num_features is not None and vector_size(x) != self.num_features:
            raise self.invalid(
                f"features have size {vector_size(x)}, the model expects {self.num_features}",
                column=self.features_col,
            )
        return x

    def transform_batch(self, frame: Frame) -> None:
        x = self.features_batch(frame)
        if self.raw_col:
            raw = self.raw_batch(x)
            frame.set(self.raw_col, VectorColumn.from_dense(raw))
            if self.pred_col:
                frame.set(self.pred_col, self.raw_to_prediction_batch(raw))
        elif self.pred_col:
            frame.set(self.pred_col, self.predict_batch(x))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = self.features_row(row)
        if self.raw_col:
            raw = self.raw_row(x)
            row[self.raw_col] = np.array(raw)
            if self.pred_col:
                row[self.pred_col] = self.raw_to_prediction_row(raw)
        elif self.pred_col:
            row[self.pred_col] = self.predict_row(x)


class ProbabilisticClassifier(Classifier):
    """A ``ProbabilisticClassificationModel``: adds probability and ``thresholds``."""

    def __init__(self, meta: StageMetadata, num_classes: int, num_features: int | None) -> None:
        super().__init__(meta, num_classes, num_features)
        self.prob_col = output_col(meta, "probabilityCol", "probability")
        thresholds = meta.get("thresholds")
        self.thresholds: np.ndarray | None = None
        self.threshold_list: list[float] | None = None
        if thresholds is not None:
            values = [meta_double(t) for t in thresholds]
            if len(values) != num_classes:
                raise ModelLoadError(
                    f"{self.name}: thresholds has {len(values)} entries but the model has {num_classes} classes"
                )
            self.thresholds = np.array(values)
            self.threshold_list = values

    # --- what a family supplies -----------------------------------------------------------
    @abstractmethod
    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        """``raw2probability`` for every row (never modifies ``raw``)."""

    @abstractmethod
    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        """Row form of :meth:`raw_to_probability_batch`."""

    # --- Spark's generic rules -------------------------------------------------------------
    def raw_to_prediction_batch(self, raw: np.ndarray) -> np.ndarray:
        if self.thresholds is None:
            return cm.argmax(raw)
        return self.probability_to_prediction_batch(self.raw_to_probability_batch(raw))

    def raw_to_prediction_row(self, raw: list[float]) -> float:
        if self.threshold_list is None:
            return cm.argmax_row(raw)
        return self.probability_to_prediction_row(self.raw_to_probability_row(raw))

    def probability_to_prediction_batch(self, prob: np.ndarray) -> np.ndarray:
        """``probability2prediction``: argmax, or argmax of p / t under thresholds."""
        if self.thresholds is None:
            return cm.argmax(prob)
        return cm.thresholded_argmax(prob, self.thresholds)

    def probability_to_prediction_row(self, prob: list[float]) -> float:
        """Row form of :meth:`probability_to_prediction_batch`."""
        if self.threshold_list is None:
            return cm.argmax_row(prob)
        return cm.thresholded_argmax_row(prob, self.threshold_list)

    def normalized_batch(self, raw: np.ndarray) -> np.ndarray:
        """Raw counts scaled to sum 1 (trees); a row Spark cannot normalize is an error."""
        prob, bad = cm.normalize(raw)
        if bad.any():
            raise self.invalid(
                "cannot turn raw predictions into probabilities: they must be non-negative with a positive sum",
                column=self.features_col,
                row=first_true(bad),
            )
        return prob

    def normalized_row(self, raw: list[float]) -> list[float]:
        """Row form of :meth:`normalized_batch`."""
        prob = cm.normalize_row(raw)
        if prob is None:
            raise self.invalid(
                "cannot turn raw predictions into probabilities: they must be non-negative with a positive sum",
                column=self.features_col,
            )
        return prob

    # --- contract ---------------------------------------------------------------------------
    def output_fields(self) -> list[Field]:
        cols = [(self.raw_col, "vector"), (self.prob_col, "vector"), (self.pred_col, "double")]
        return [Field(name, kind, nullable=False) for name, kind in cols if name]

    def transform_batch(self, frame: Frame) -> None:
        x = self.features_batch(frame)
        raw = prob = None
        if self.raw_col:
            raw = self.raw_batch(x)
            frame.set(self.raw_col, VectorColumn.from_dense(raw))
        if self.prob_col:
            prob = self.raw_to_probability_batch(raw if raw is not None else self.raw_batch(x))
            frame.set(self.prob_col, VectorColumn.from_dense(prob))
        if self.pred_col:
            if raw is not None:
                pred = self.raw_to_prediction_batch(raw)
            elif prob is not None:
                pred = self.probability_to_prediction_batch(prob)
            else:
                pred = self.predict_batch(x)
            frame.set(self.pred_col, pred)

    def transform_row(self, row: dict[str, Any]) -> None:
        x = self.features_row(row)
        raw = prob = None
        if self.raw_col:
            raw = self.raw_row(x)
            row[self.raw_col] = np.array(raw)
        if self.prob_col:
            prob = self.raw_to_probability_row(raw if raw is not None else self.raw_row(x))
            row[self.prob_col] = np.array(prob)
        if self.pred_col:
            if raw is not None:
                row[self.pred_col] = self.raw_to_prediction_row(raw)
            elif prob is not None:
                row[self.pred_col] = self.probability_to_prediction_row(prob)
            else:
                row[self.pred_col] = self.predict_row(x)


def empty_features(size: int) -> VectorColumn:
    """A zero-row feature column of the model's size (an empty input carries no size)."""
    return VectorColumn.from_dense(np.zeros((0, size)))


def meta_double(value: Any) -> float:
    """A double saved in metadata JSON, reading Spark's "NaN"/"Inf" spellings."""
    special = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}
    if isinstance(value, str) and value in special:
        return special[value]
    return float(value)
