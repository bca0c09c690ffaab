"""Isotonic regression prediction, as mllib's ``IsotonicRegressionModel.predict``.

A value equal to a boundary gets that boundary's prediction; one below the first or above
the last boundary (NaN sorts last, as in Java's ``Arrays.binarySearch``) gets the first or
last prediction; one in between is interpolated linearly, ``y1 + (y2 - y1) * (x - x1) / (x2 - x1)``.
"""

from __future__ import annotations

import bisect

import numpy as np


def predict(boundaries: np.ndarray, predictions: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Predictions for every value of ``x``."""
    n = len(boundaries)
    idx = np.searchsorted(boundaries, x, side="left")
    safe = np.minimum(idx, n - 1)
    found = (idx < n) & (boundaries[safe] == x)
    lo = np.maximum(idx - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x1, y1, x2, y2 = boundaries[lo], predictions[lo], boundaries[safe], predictions[safe]
        interpolated = y1 + (y2 - y1) * (x - x1) / (x2 - x1)
    out = np.where(idx == 0, predictions[0], np.where(idx >= n, predictions[-1], interpolated))
    return np.where(found, predictions[safe], out)


def predict_one(boundaries: list[float], predictions: list[float], x: float) -> float:
    """Scalar form of :func:`predict`."""
    n = len(boundaries)
    if x != x:
        return predictions[-1]
    i = bisect.bisect_left(boundaries, x)
    if i < n and boundaries[i] == x:
        return predictions[i]
    if i == 0:
        return predictions[0]
    if i == n:
        return predictions[-1]
    x1, y1, x2, y2 = boundaries[i - 1], predictions[i - 1], boundaries[i], predictions[i]
    return y1 + (y2 - y1) * (x - x1) / (x2 - x1)
