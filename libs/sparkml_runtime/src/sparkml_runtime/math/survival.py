"""Accelerated failure time (Weibull) prediction, as Spark's ``AFTSurvivalRegressionModel``.

``λ = exp(x · w + b)`` is the prediction; the quantile at probability q is
``λ · exp(log(-log1p(-q)) · scale)`` (the Weibull shape is k = 1 / scale).
"""

from __future__ import annotations

import math

import numpy as np


def quantile_factors(probabilities: list[float], scale: float) -> np.ndarray:
    """``exp(log(-log1p(-q)) · scale)`` for each probability q."""
    return np.array([math.exp(math.log(-math.log1p(-q)) * scale) for q in probabilities])


def quantiles(predictions: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(n, quantiles) array: each prediction λ times each factor."""
    return predictions[:, None] * factors[None, :]
