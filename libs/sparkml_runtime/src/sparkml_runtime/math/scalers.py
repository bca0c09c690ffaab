"""Feature scaling math shared by StandardScaler, MinMaxScaler, MaxAbsScaler and RobustScaler.

Spark multiplies by precomputed reciprocals (never divides per value) and keeps the index
structure of sparse inputs when it only scales, so explicit zeros (a feature whose scale is
0) stay stored. These functions reproduce both.
"""

from __future__ import annotations

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn


def reciprocal_or(values: np.ndarray, fallback: float) -> np.ndarray:
    """``1 / v`` per entry, ``fallback`` where ``v == 0`` (Spark's scale arrays)."""
    out = np.full(values.shape, fallback, dtype=np.float64)
    nz = values != 0
    out[nz] = 1.0 / values[nz]
    return out


def minmax_scale_factors(original_min: np.ndarray, original_max: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """MinMaxScaler's per-feature ``(max - min) / range``, 0 for a constant feature."""
    spread = original_max - original_min
    out = np.zeros(spread.shape)
    nz = spread != 0
    out[nz] = (hi - lo) / spread[nz]
    return out


def shift_scale_rows(x: np.ndarray, shift: np.ndarray | None, scale: np.ndarray | None) -> np.ndarray:
    """``(x - shift) * scale`` on dense rows, either part optional (always a new array)."""
    out = x - shift if shift is not None else x.copy()
    if scale is not None:
        out *= scale
    return out


def minmax_rows(x: np.ndarray, original_min: np.ndarray, factors: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """MinMaxScaler on dense rows: NaN stays NaN, a constant feature maps to ``(lo + hi) / 2``."""
    scaled = (x - original_min) * factors + lo
    out = np.where(factors != 0, scaled, (lo + hi) / 2)
    return np.where(np.isnan(x), x, out)


def scale_vector(v: Vector, scale: np.ndarray) -> Vector:
    """Multiply one vector by ``scale``; a sparse vector keeps its indices (explicit zeros too)."""
    if isinstance(v, SparseVector):
        return SparseVector(v.size, v.indices, v.values * scale[v.indices])
    return v * scale


def stored_entries(col: VectorColumn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every stored entry of a column as ``(indptr, row, index, value)`` in row-major order.

    CSR storage is taken as is (explicit zeros included); for dense storage a dense row
    stores every position and a row shown sparse stores its non-zeros, as Spark would.
    """
    if col.dense is None:
        indptr, indices, values = col.to_csr()
        rows = np.repeat(np.arange(len(col)), np.diff(indptr))
        return indptr, rows, indices, values
    stored = (col.dense != 0) | ~col.sparse_rows[:, None]
    rows, cols = np.nonzero(stored)
    indptr = np.zeros(len(col) + 1, dtype=np.int64)
    np.cumsum(stored.sum(axis=1), out=indptr[1:])
    return indptr, rows, cols.astype(np.int64), col.dense[rows, cols]


def scale_column(col: VectorColumn, scale: np.ndarray) -> VectorColumn:
    """Multiply every row by ``scale``, keeping each row's dense or sparse structure as Spark does.

    Stored positions stay stored even when the product is 0, so a sparse row keeps the
    explicit zeros Spark keeps.
    """
    if col.dense is not None and not col.sparse_rows.any():
        return VectorColumn(col.size, dense=col.dense * scale, sparse_rows=col.sparse_rows)
    indptr, _, indices, values = stored_entries(col)
    return VectorColumn(col.size, csr=(indptr, indices, values * scale[indices]), sparse_rows=col.sparse_rows)
