"""Linear-model math: margins over dense or CSR features, Spark's link functions."""

from __future__ import annotations

import math

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn


def dot(x: Vector, w: np.ndarray) -> float:
    """``x · w`` summed in x's order, as Spark's BLAS.dot does for sparse x."""
    if isinstance(x, SparseVector):
        return float(np.dot(x.values, w[x.indices]))
    return float(np.dot(x, w))


def margins(features: VectorColumn, coef: np.ndarray, intercept: float) -> np.ndarray:
    """``X · w + b`` for every row of a vector column."""
    if features.is_dense:
        return features.to_dense() @ coef + intercept
    indptr, idx, val = features.to_csr()
    rows = np.repeat(np.arange(len(features)), np.diff(indptr))
    return np.bincount(rows, weights=val * coef[idx], minlength=len(features)) + intercept


def margin_matrix(features: VectorColumn, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """``X · Wᵀ + b`` for a (classes, features) coefficient matrix: one row of margins per row."""
    if features.is_dense:
        return features.to_dense() @ coef.T + intercept
    indptr, idx, val = features.to_csr()
    n = len(features)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    out = np.empty((n, coef.shape[0]))
    for k in range(coef.shape[0]):
        out[:, k] = np.bincount(rows, weights=val * coef[k, idx], minlength=n) + intercept[k]
    return out


def sigmoid(m: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-m)`` elementwise, as Spark computes it (overflow gives 0, not NaN)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-m))


def sigmoid_scalar(m: float) -> float:
    """Scalar ``1 / (1 + e^-m)`` (inf-safe, like the JVM's Math.exp)."""
    try:
        return 1.0 / (1.0 + math.exp(-m))
    except OverflowError:
        return 0.0


def spark_softmax(raw: np.ndarray) -> np.ndarray:
    """Spark's multinomial probability: subtract the row max only when it is positive."""
    mx = raw.max(axis=1, keepdims=True)
    out = np.empty_like(raw)
    inf_rows = np.isposinf(mx[:, 0])
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = np.where(mx > 0, raw - mx, raw)
        e = np.exp(shifted)
        out[:] = e / e.sum(axis=1, keepdims=True)
    if inf_rows.any():
        hot = np.zeros_like(raw[inf_rows])
        hot[np.arange(hot.shape[0]), raw[inf_rows].argmax(axis=1)] = 1.0
        out[inf_rows] = hot
    return out


def scaled_argmax(prob: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Spark's ``probability2prediction`` with thresholds: argmax of p / t (first wins ties)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = prob / thresholds
    # NaN (0/0) must never win, as in Spark's `scaled > max` loop.
    scaled = np.where(np.isnan(scaled), -np.inf, scaled)
    return scaled.argmax(axis=1).astype(np.float64)
