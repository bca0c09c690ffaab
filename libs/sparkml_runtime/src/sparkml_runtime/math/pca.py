"""PCA projection: features times the principal-components matrix."""

from __future__ import annotations

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn


def project_rows(x: VectorColumn, pc: np.ndarray) -> np.ndarray:
    """Each row projected onto the (num_features, k) components: ``X · pc``, dense (n, k)."""
    if x.is_dense:
        return x.to_dense() @ pc
    indptr, indices, values = x.to_csr()
    rows = np.repeat(np.arange(len(x)), np.diff(indptr))
    out = np.zeros((len(x), pc.shape[1]))
    np.add.at(out, rows, values[:, None] * pc[indices])
    return out


def project(v: Vector, pc: np.ndarray) -> np.ndarray:
    """One vector projected: ``pcᵀ · v`` as Spark's ``DenseMatrix.multiply`` (sparse uses stored entries)."""
    if isinstance(v, SparseVector):
        return v.values @ pc[v.indices]
    return v @ pc
