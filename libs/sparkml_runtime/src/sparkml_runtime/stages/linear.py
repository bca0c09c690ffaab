"""Linear models: logistic regression, linear SVM, linear and generalized linear regression."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import decode_matrix, decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import classification as cm
from ..math import glm
from ..math import linear as lm
from ..vectors import SparseVector, Vector, VectorColumn, to_dense, vector_size
from .base import Stage, register, row_value, row_vector
from .classification import Classifier, ProbabilisticClassifier, empty_features, output_col

# Up to this many non-zeros, a binary logistic regression row is scored with a plain loop.
_PY_DOT_MAX_NNZ = 32


def _first_row(meta: StageMetadata) -> dict[str, Any]:
    rows = read_rows(meta.path)
    if not rows:
        raise ModelLoadError(f"{meta.path}/data holds no rows: the saved {meta.short_class} is incomplete")
    return rows[0]


def _check_threshold_consistency(meta: StageMetadata) -> None:
    """Spark's ``checkThresholdConsistency``: user-set threshold and thresholds must agree.

    Spark refuses such a model when it is loaded or used; so does the runtime, at load.
    """
    user_set = meta.raw.get("paramMap") or {}
    if "threshold" not in user_set or "thresholds" not in user_set:
        return
    thresholds = [float(t) for t in user_set["thresholds"]]
    if len(thresholds) != 2:
        raise ModelLoadError(
            f"{meta.class_name} (uid {meta.uid}): threshold is set (binary) but thresholds has "
            f"{len(thresholds)} entries; Spark refuses this model too. Clear one of the two params."
        )
    equivalent = _binary_threshold(meta)
    if not abs(meta.double("threshold") - equivalent) < 1e-5:
        raise ModelLoadError(
            f"{meta.class_name} (uid {meta.uid}): threshold {meta.double('threshold')} and thresholds "
            f"{thresholds} (equivalent to {equivalent}) disagree; Spark refuses this model too. "
            "Clear one of the two params."
        )


def _binary_threshold(meta: StageMetadata) -> float:
    """LogisticRegression's ``getThreshold``: from ``thresholds`` when set, else ``threshold``.

    Java arithmetic: thresholds (t0, 0) give 0.0 (t0 / 0 = ∞), (0, 0) give NaN.
    """
    thresholds = meta.get("thresholds")
    if thresholds is None:
        return meta.double("threshold", 0.5)
    t0, t1 = (float(t) for t in thresholds)
    # Java division: t0 / 0 is ∞ (NaN when t0 is 0 too), where Python would raise.
    zero_div = math.nan if t0 == 0.0 or math.isnan(t0) else math.inf
    ratio = zero_div if t1 == 0.0 else t0 / t1
    return 1.0 / (1.0 + ratio)


@register("org.apache.spark.ml.classification.LogisticRegressionModel")
class LogisticRegression(ProbabilisticClassifier):
    """Binary and multinomial logistic regression with Spark's threshold(s) rules.

    A binary model (``isMultinomial`` false) predicts with its own rules, whatever
    ``thresholds`` holds: rawPrediction[1] > log(t / (1 - t)) from the raw column, and
    probability[1] > t from the probability column. A multinomial model (also
    family="multinomial" on two classes) uses softmax and the generic argmax rules.
    """

    def __init__(self, meta: StageMetadata, coef: np.ndarray, intercept: np.ndarray, multinomial: bool) -> None:
        num_classes = coef.shape[0] if multinomial else 2
        _check_threshold_consistency(meta)
        super().__init__(meta, num_classes, coef.shape[1])
        self.coef_matrix = coef
        self.intercepts = intercept
        self.multinomial = multinomial
        if not multinomial:
            self.coef = coef[0]
            self.intercept = float(intercept[0])
            t = self.threshold = _binary_threshold(meta)
            # LogisticRegressionModel.onParamChange: the threshold as a raw margin.
            self.raw_threshold = -math.inf if t == 0.0 else math.inf if t == 1.0 else _log_odds(t)

    @classmethod
    def load(cls, meta: StageMetadata) -> LogisticRegression:
        row = _first_row(meta)
        if "coefficientMatrix" in row:
            coef = decode_matrix(row["coefficientMatrix"])
            intercept = to_dense(decode_vector(row["interceptVector"]))
            multinomial = bool(row["isMultinomial"])
        else:  # Spark < 2.1: binary only, "coefficients" and "intercept"
            coef = to_dense(decode_vector(row["coefficients"]))[None, :]
            intercept = np.array([float(row["intercept"])])
            multinomial = False
        return cls(meta, coef, intercept, multinomial)

    # --- raw scores -------------------------------------------------------------------------
    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        if self.multinomial:
            return lm.margin_matrix(x, self.coef_matrix, self.intercepts)
        m = lm.margins(x, self.coef, self.intercept)
        return np.column_stack([-m, m])

    def raw_row(self, x: Vector) -> list[float]:
        if self.multinomial:
            return lm.row_margins(x, self.coef_matrix, self.intercepts)
        if type(x) is SparseVector and x.indices.shape[0] <= _PY_DOT_MAX_NNZ:
            # Spark's BLAS.dot(sparse, dense) sums values[k] * w[indices[k]] in order; for a
            # few non-zeros a Python loop does exactly that, faster than building numpy temporaries.
            item = self.coef.item
            m = 0.0
            for i, v in zip(x.indices.tolist(), x.values.tolist(), strict=True):
                m += v * item(i)
            m += self.intercept
        else:
            m = lm.dot(x, self.coef) + self.intercept
        return [-m, m]

    # --- probabilities: sigmoid of raw[0] and its complement, or softmax ----------------------
    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return cm.softmax(raw)
        p0 = lm.sigmoid(raw[:, 0])
        return np.column_stack([p0, 1.0 - p0])

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        if self.multinomial:
            return cm.softmax_row(raw)
        p0 = lm.sigmoid_scalar(raw[0])
        return [p0, 1.0 - p0]

    # --- the binary model's own prediction rules ----------------------------------------------
    def raw_to_prediction_batch(self, raw: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return super().raw_to_prediction_batch(raw)
        return (raw[:, 1] > self.raw_threshold).astype(np.float64)

    def raw_to_prediction_row(self, raw: list[float]) -> float:
        if self.multinomial:
            return super().raw_to_prediction_row(raw)
        return 1.0 if raw[1] > self.raw_threshold else 0.0

    def probability_to_prediction_batch(self, prob: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return super().probability_to_prediction_batch(prob)
        return (prob[:, 1] > self.threshold).astype(np.float64)

    def probability_to_prediction_row(self, prob: list[float]) -> float:
        if self.multinomial:
            return super().probability_to_prediction_row(prob)
        return 1.0 if prob[1] > self.threshold else 0.0

    def predict_batch(self, x: VectorColumn) -> np.ndarray:
        if self.multinomial:
            return super().predict_batch(x)
        return (lm.sigmoid(lm.margins(x, self.coef, self.intercept)) > self.threshold).astype(np.float64)

    def predict_row(self, x: Vector) -> float:
        if self.multinomial:
            return super().predict_row(x)
        return 1.0 if lm.sigmoid_scalar(lm.dot(x, self.coef) + self.intercept) > self.threshold else 0.0


def _log_odds(t: float) -> float:
    try:
        return math.log(t / (1.0 - t))
    except ValueError:  # t outside (0, 1) or NaN: the JVM gives NaN, which no margin exceeds
        return math.nan


def _linear_data(meta: StageMetadata) -> tuple[np.ndarray, float]:
    """``coefficients`` and ``intercept`` of LinearSVC / LinearRegression / GLR data/."""
    row = _first_row(meta)
    try:
        return to_dense(decode_vector(row["coefficients"])), float(row["intercept"])
    except KeyError as exc:
        raise ModelLoadError(f"{meta.path}/data has no {exc} column: not a {meta.short_class} layout") from None


@register("org.apache.spark.ml.classification.LinearSVCModel")
class LinearSVC(Classifier):
    """Linear SVM: raw = [-m, m]; prediction = 1 iff the margin m exceeds ``threshold``."""

    def __init__(self, meta: StageMetadata, coef: np.ndarray, intercept: float) -> None:
        super().__init__(meta, 2, coef.shape[0])
        self.coef = coef
        self.intercept = intercept
        self.threshold = meta.double("threshold", 0.0)

    @classmethod
    def load(cls, meta: StageMetadata) -> LinearSVC:
        return cls(meta, *_linear_data(meta))

    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        m = lm.margins(x, self.coef, self.intercept)
        return np.column_stack([-m, m])

    def raw_row(self, x: Vector) -> list[float]:
        m = lm.dot(x, self.coef) + self.intercept
        return [-m, m]

    def raw_to_prediction_batch(self, raw: np.ndarray) -> np.ndarray:
        return (raw[:, 1] > self.threshold).astype(np.float64)

    def raw_to_prediction_row(self, raw: list[float]) -> float:
        return 1.0 if raw[1] > self.threshold else 0.0


class _LinearPredictor(Stage):
    """Shared wiring of the regressions: a features column and a coefficient vector."""

    def __init__(self, meta: StageMetadata, coef: np.ndarray, intercept: float) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = output_col(meta, "predictionCol", "prediction")
        self.coef = coef
        self.intercept = intercept

    def _features_batch(self, frame: Frame) -> VectorColumn:
        x = frame.vectors(self.features_col, self.name)
        if not len(x):
            return empty_features(self.coef.shape[0])
        if x.size != self.coef.shape[0]:
            raise self.invalid(
                f"features have size {x.size}, the model expects {self.coef.shape[0]}", column=self.features_col, row=0
            )
        return x

    def _features_row(self, row: dict[str, Any]) -> Vector:
        x = row_vector(self, row, self.features_col)
        if vector_size(x) != self.coef.shape[0]:
            raise self.invalid(
                f"features have size {vector_size(x)}, the model expects {self.coef.shape[0]}",
                column=self.features_col,
            )
        return x


@register("org.apache.spark.ml.regression.LinearRegressionModel")
class LinearRegression(_LinearPredictor):
    """Linear regression: prediction = x · w + b (``scale`` only matters when fitting)."""

    @classmethod
    def load(cls, meta: StageMetadata) -> LinearRegression:
        return cls(meta, *_linear_data(meta))

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.pred_col, "double", nullable=False)] if self.pred_col else []

    def transform_batch(self, frame: Frame) -> None:
        x = self._features_batch(frame)
        if self.pred_col:
            frame.set(self.pred_col, lm.margins(x, self.coef, self.intercept))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = self._features_row(row)
        if self.pred_col:
            row[self.pred_col] = lm.dot(x, self.coef) + self.intercept


@register("org.apache.spark.ml.regression.GeneralizedLinearRegressionModel")
class GeneralizedLinearRegression(_LinearPredictor):
    """GLR: eta = x · w + b + offset; prediction = project(unlink(eta)) of the family/link.

    ``linkPredictionCol`` (when set) holds eta and comes before prediction, as in Spark. A
    null offset gives null outputs, as Spark's UDF over a primitive double does.
    """

    def __init__(self, meta: StageMetadata, coef: np.ndarray, intercept: float) -> None:
        super().__init__(meta, coef, intercept)
        link = meta.get("link")
        link_power = meta.get("linkPower")
        try:
            self.family_link = glm.resolve(
                str(meta.get("family", "gaussian")),
                meta.double("variancePower", 0.0),
                None if link is None else str(link),
                None if link_power is None else meta.double("linkPower"),
            )
        except ValueError as exc:
            raise UnsupportedStageError(meta.class_name, meta.uid, str(exc)) from None
        self.offset_col = str(meta.get("offsetCol") or "")
        self.link_col = str(meta.get("linkPredictionCol") or "")

    @classmethod
    def load(cls, meta: StageMetadata) -> GeneralizedLinearRegression:
        return cls(meta, *_linear_data(meta))

    def input_fields(self) -> list[Field]:
        fields = [Field(self.features_col, "vector", nullable=False)]
        if self.offset_col:
            fields.append(Field(self.offset_col, "double", nullable=True))
        return fields

    def output_fields(self) -> list[Field]:
        nullable = bool(self.offset_col)
        return [Field(name, "double", nullable=nullable) for name in (self.link_col, self.pred_col) if name]

    def transform_batch(self, frame: Frame) -> None:
        x = self._features_batch(frame)
        eta = lm.margins(x, self.coef, self.intercept)
        nulls = None
        if self.offset_col:
            offset, nulls = frame.doubles(self.offset_col, self.name)
            eta = eta + offset
        outputs = []
        if self.link_col:
            outputs.append((self.link_col, eta))
        if self.pred_col:
            outputs.append((self.pred_col, self.family_link.fitted(eta)))
        for name, values in outputs:
            if nulls is None:
                frame.set(name, values)
            else:
                frame.set(name, [None if null else v for v, null in zip(values.tolist(), nulls.tolist(), strict=True)])

    def transform_row(self, row: dict[str, Any]) -> None:
        x = self._features_row(row)
        eta: float | None = lm.dot(x, self.coef) + self.intercept
        if self.offset_col:
            offset = row_value(self, row, self.offset_col)
            if offset is None:
                eta = None
            elif isinstance(offset, (int, float, np.integer, np.floating)):
                eta = eta + float(offset)  # type: ignore[operator]
            else:
                raise self.invalid(f"expected a number, got {type(offset).__name__} {offset!r}", column=self.offset_col)
        if self.link_col:
            row[self.link_col] = eta
        if self.pred_col:
            row[self.pred_col] = None if eta is None else float(self.family_link.fitted(np.float64(eta)))
