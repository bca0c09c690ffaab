"""Factorization machine score, as Spark's ``FactorizationMachines.getRawPrediction``.

``y = b + x · w + Σ_f ½ ((Σ_i v_if x_i)² - Σ_i (v_if x_i)²)`` over the factor columns f of
the (features × factorSize) matrix V; only non-zero features contribute.
"""

from __future__ import annotations

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn
from .linear import dot, margins


def scores(x: VectorColumn, intercept: float, linear: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """The FM score of every row of a vector column (dense or CSR; never densifies sparse rows)."""
    n, k = len(x), factors.shape[1]
    out = margins(x, linear, intercept)
    if x.is_dense:
        d = x.to_dense()
        s = d @ factors
        sq = (d * d) @ (factors * factors)
    else:
        indptr, idx, val = x.to_csr()
        rows = np.repeat(np.arange(n), np.diff(indptr))
        vx = factors[idx, :] * val[:, None]  # (nnz, factors)
        s = np.empty((n, k))
        sq = np.empty((n, k))
        for f in range(k):
            s[:, f] = np.bincount(rows, weights=vx[:, f], minlength=n)
            sq[:, f] = np.bincount(rows, weights=vx[:, f] * vx[:, f], minlength=n)
    return out + (0.5 * (s * s - sq)).sum(axis=1)


def score_row(x: Vector, intercept: float, linear: np.ndarray, factors: np.ndarray) -> float:
    """The FM score of one feature vector."""
    if isinstance(x, SparseVector):
        vx = factors[x.indices, :] * x.values[:, None]
    else:
        vx = factors * np.asarray(x, dtype=np.float64)[:, None]
    s = vx.sum(axis=0)
    return float(intercept + dot(x, linear) + float((0.5 * (s * s - (vx * vx).sum(axis=0))).sum()))
