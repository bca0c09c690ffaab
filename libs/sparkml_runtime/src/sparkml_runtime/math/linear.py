"""Linear-model math: margins ``X · w + b`` over dense or CSR features, one row or many."""

from __future__ import annotations

import math

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn


def dot(x: Vector, w: np.ndarray) -> float:
    """``x · w``; for a sparse x, summed over its entries in order, as Spark's BLAS.dot."""
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


def row_margins(x: Vector, coef: np.ndarray, intercept: np.ndarray) -> list[float]:
    """``W · x + b`` for one feature vector, as a list (one margin per coefficient row)."""
    m = coef[:, x.indices] @ x.values + intercept if isinstance(x, SparseVector) else coef @ x + intercept
    return [float(v) for v in m]


def sigmoid(m: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-m)`` elementwise, as the JVM computes it (overflow gives 0, not NaN)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-m))


def sigmoid_scalar(m: float) -> float:
    """Scalar ``1 / (1 + e^-m)`` (overflow-safe, like the JVM's Math.exp)."""
    try:
        return 1.0 / (1.0 + math.exp(-m))
    except OverflowError:
        return 0.0
