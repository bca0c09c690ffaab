"""VectorAssembler math: concatenate blocks of entries into Spark's per-row ``compressed`` vectors."""

from __future__ import annotations

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn, sparse_is_smaller

# Store a batch dense when at least this share of its cells is non-zero (or it is small).
_DENSE_SHARE = 0.25
_SMALL_CELLS = 4096


def compressed_from_entries(size: int, indices: list[int], values: list[float], byte_sizes: bool) -> Vector:
    """One row from its non-zero entries (sorted, NaN allowed), sparse or dense as Spark's ``compressed``."""
    if sparse_is_smaller(len(indices), size, byte_sizes=byte_sizes):
        return SparseVector(size, np.array(indices, dtype=np.int64), np.array(values, dtype=np.float64))
    out = np.zeros(size)
    if indices:
        out[indices] = values
    return out


def assemble_entries(
    n_rows: int, size: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, byte_sizes: bool
) -> VectorColumn:
    """Build the assembled column from entries listed block by block (left to right).

    Zeros are dropped (NaN is kept, as Spark's ``v != 0.0``) and each row is flagged sparse or
    dense by Spark's ``compressed`` rule on its non-zero count.
    """
    keep = vals != 0
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    # Blocks arrive in column order, so a stable sort by row leaves each row's columns sorted.
    order = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    counts = np.bincount(rows, minlength=n_rows)
    flags = sparse_is_smaller(counts, size, byte_sizes=byte_sizes)
    cells = n_rows * size
    if cells <= _SMALL_CELLS or rows.size >= _DENSE_SHARE * cells:
        dense = np.zeros((n_rows, size))
        dense[rows, cols] = vals
        return VectorColumn(size, dense=dense, sparse_rows=flags)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return VectorColumn(size, csr=(indptr, cols.astype(np.int64), vals.astype(np.float64)), sparse_rows=flags)
