"""Keep the selected features of vectors, as Spark's ``SelectorModel.transform``.

Dense rows keep ``values[selected]``; sparse rows keep their stored entries at selected
indices, renumbered to the entry's position in ``selected`` (``compressSparse``).
"""

from __future__ import annotations

import numpy as np

from ..vectors import SparseVector, Vector, VectorColumn


def select_column(x: VectorColumn, selected: np.ndarray) -> VectorColumn:
    """The selected features of every row (``selected`` sorted, all < x.size)."""
    k = int(selected.size)
    if x.dense is not None:
        return VectorColumn(k, dense=x.dense[:, selected], sparse_rows=x.sparse_rows)
    position = np.full(x.size, -1, dtype=np.int64)
    position[selected] = np.arange(k)
    indptr, indices, values = x.to_csr()
    rows = np.repeat(np.arange(len(x)), np.diff(indptr))
    pos = position[indices]
    keep = pos >= 0
    new_indptr = np.zeros(len(x) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=len(x)), out=new_indptr[1:])
    return VectorColumn(k, csr=(new_indptr, pos[keep], values[keep]), sparse_rows=x.sparse_rows)


def select_vector(v: Vector, selected: np.ndarray) -> Vector:
    """Row form of :func:`select_column`."""
    if not isinstance(v, SparseVector):
        return np.asarray(v, dtype=np.float64)[selected]
    j = np.searchsorted(selected, v.indices)
    j_safe = np.minimum(j, max(selected.size - 1, 0))
    hit = (j < selected.size) & (selected[j_safe] == v.indices) if selected.size else np.zeros(v.indices.size, bool)
    return SparseVector(int(selected.size), j[hit].astype(np.int64), v.values[hit])
