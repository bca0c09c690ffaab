"""NaiveBayesModel: multinomial, complement, bernoulli and gaussian, as Spark scores them."""

from __future__ import annotations

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..io.data import decode_matrix, decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import classification as cm
from ..math import linear as lm
from ..math import naive_bayes as nb
from ..vectors import SparseVector, Vector, VectorColumn, to_dense
from .base import first_true, register
from .classification import ProbabilisticClassifier

MODEL_TYPES = ("multinomial", "complement", "bernoulli", "gaussian")


@register("org.apache.spark.ml.classification.NaiveBayesModel")
class NaiveBayes(ProbabilisticClassifier):
    """Naive Bayes with Spark's per-type raw scores and softmax probabilities.

    Input checks follow Spark: multinomial and complement need every non-zero feature
    > 0, bernoulli needs every non-zero feature == 1; a bad value fails its row.
    """

    def __init__(self, meta: StageMetadata, pi: np.ndarray, theta: np.ndarray, sigma: np.ndarray | None) -> None:
        super().__init__(meta, pi.shape[0], theta.shape[1])
        self.model_type = str(meta.get("modelType", "multinomial")).lower()
        if self.model_type not in MODEL_TYPES:
            raise UnsupportedStageError(meta.class_name, meta.uid, f"unknown modelType {self.model_type!r}")
        self.pi = pi
        self.theta = theta
        self.zero_bias = np.zeros(pi.shape[0])
        if self.model_type == "bernoulli":
            self.weights, self.bias = nb.bernoulli_terms(pi, theta)
        if self.model_type == "gaussian":
            if sigma is None or sigma.shape != theta.shape:
                raise ModelLoadError(f"{meta.path}: a gaussian NaiveBayesModel needs sigma shaped like theta")
            self.sigma = sigma
            self.log_var_sum = nb.gaussian_log_var_sum(sigma)

    @classmethod
    def load(cls, meta: StageMetadata) -> NaiveBayes:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data holds no rows: the saved NaiveBayesModel is incomplete")
        row = rows[0]
        pi = to_dense(decode_vector(row["pi"]))
        theta = decode_matrix(row["theta"])
        # Spark < 3.0 saved no sigma (gaussian did not exist yet).
        sigma = decode_matrix(row["sigma"]) if row.get("sigma") is not None else None
        return cls(meta, pi, theta, sigma)

    # --- Spark's input checks ----------------------------------------------------------------
    def _bad_values(self, values: np.ndarray) -> np.ndarray:
        """Which of these (non-zero or zero) feature values Spark rejects for the model type."""
        nonzero = values != 0
        if self.model_type == "bernoulli":
            return nonzero & (values != 1.0)
        return nonzero & ~(values > 0)  # NaN is non-zero and not > 0

    def _requirement(self) -> str:
        if self.model_type == "bernoulli":
            return "bernoulli NaiveBayes requires feature values 0 or 1"
        return f"{self.model_type} NaiveBayes requires non-negative feature values"

    def _check_batch(self, x: VectorColumn) -> None:
        if self.model_type == "gaussian":
            return
        if x.is_dense:
            bad_rows = np.asarray(self._bad_values(x.to_dense()).any(axis=1))
        else:
            indptr, _, values = x.to_csr()
            bad = self._bad_values(values)
            bad_rows = np.zeros(len(x), dtype=bool)
            bad_rows[np.repeat(np.arange(len(x)), np.diff(indptr))[bad]] = True
        if bad_rows.any():
            raise self.invalid(self._requirement(), column=self.features_col, row=first_true(bad_rows))

    def _check_row(self, x: Vector) -> None:
        if self.model_type == "gaussian":
            return
        values = x.values if isinstance(x, SparseVector) else x
        if self._bad_values(values).any():
            raise self.invalid(self._requirement(), column=self.features_col)

    # --- raw scores ---------------------------------------------------------------------------
    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        self._check_batch(x)
        kind = self.model_type
        if kind == "multinomial":
            return lm.margin_matrix(x, self.theta, self.pi)
        if kind == "bernoulli":
            return lm.margin_matrix(x, self.weights, self.bias)
        if kind == "complement":
            return nb.complement_normalize(lm.margin_matrix(x, self.theta, self.zero_bias))
        return nb.gaussian(x.to_dense(), self.pi, self.theta, self.sigma, self.log_var_sum)

    def raw_row(self, x: Vector) -> list[float]:
        self._check_row(x)
        kind = self.model_type
        if kind == "multinomial":
            return lm.row_margins(x, self.theta, self.pi)
        if kind == "bernoulli":
            return lm.row_margins(x, self.weights, self.bias)
        if kind == "complement":
            scores = np.array([lm.row_margins(x, self.theta, self.zero_bias)])
            return nb.complement_normalize(scores)[0].tolist()
        dense = to_dense(x)[None, :]
        return nb.gaussian(dense, self.pi, self.theta, self.sigma, self.log_var_sum)[0].tolist()

    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        return cm.softmax(raw)

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        return cm.softmax_row(raw)
