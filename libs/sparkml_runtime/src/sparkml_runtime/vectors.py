"""Spark ML vectors without Spark: one-row values and columnar batches.

A single vector is a 1-D float64 ``numpy.ndarray`` (dense) or a :class:`SparseVector`.
A column of vectors is a :class:`VectorColumn`: a dense 2-D array or CSR arrays, plus a
per-row flag saying whether Spark would show that row as sparse (VectorAssembler and
friends choose per row), so JSON output matches Spark's representation row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import InvalidInputError


class SparseVector:
    """A sparse vector: ``size`` plus sorted ``indices`` and their ``values``."""

    __slots__ = ("size", "indices", "values")

    def __init__(self, size: int, indices: np.ndarray, values: np.ndarray) -> None:
        self.size = int(size)
        self.indices = indices
        self.values = values

    def to_dense(self) -> np.ndarray:
        """The same vector as a dense float64 array."""
        out = np.zeros(self.size)
        out[self.indices] = self.values
        return out

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form: ``{"size": n, "indices": [...], "values": [...]}``."""
        return {"size": self.size, "indices": self.indices.tolist(), "values": self.values.tolist()}

    def __repr__(self) -> str:
        return f"SparseVector({self.size}, {self.indices.tolist()}, {self.values.tolist()})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SparseVector)
            and self.size == other.size
            and np.array_equal(self.indices, other.indices)
            and np.array_equal(self.values, other.values)
        )


Vector = np.ndarray | SparseVector
_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY_FLOAT = np.zeros(0)


def vector_size(v: Vector) -> int:
    """Length of a dense or sparse vector."""
    return v.size if isinstance(v, SparseVector) else int(v.shape[0])


def to_dense(v: Vector) -> np.ndarray:
    """A dense float64 array for either kind of vector."""
    return v.to_dense() if isinstance(v, SparseVector) else v


def to_sparse(v: Vector) -> SparseVector:
    """Spark's ``toSparse``: a sparse vector holding only the non-zero entries."""
    if isinstance(v, SparseVector):
        keep = v.values != 0
        return v if keep.all() else SparseVector(v.size, v.indices[keep], v.values[keep])
    idx = np.flatnonzero(v)
    return SparseVector(v.shape[0], idx, v[idx])


def sparse_is_smaller(nnz: Any, size: int, *, byte_sizes: bool = False) -> Any:
    """Spark's choice in ``compressed`` for ``nnz`` non-zeros (a number or an array of them).

    Spark <= 4.0 goes sparse iff ``1.5 * (nnz + 1) < size``; Spark >= 4.1 compares estimated
    byte sizes, ``12 * nnz + 28 < 8 * size + 12`` (``byte_sizes=True``). The two differ near
    the boundary, e.g. 4 non-zeros in 8 (sparse before 4.1, dense since).
    """
    if byte_sizes:
        return 12 * nnz + 28 < 8 * size + 12
    return 1.5 * (nnz + 1.0) < size


def compressed(v: Vector, *, byte_sizes: bool = False) -> Vector:
    """Spark's ``Vector.compressed``: sparse when that is smaller, else dense (see :func:`sparse_is_smaller`)."""
    nnz = int(np.count_nonzero(v.values if isinstance(v, SparseVector) else v))
    size = vector_size(v)
    if sparse_is_smaller(nnz, size, byte_sizes=byte_sizes):
        return to_sparse(v)
    return to_dense(v)


def vector_to_json(v: Vector) -> Any:
    """JSON-ready form of one vector: a list of floats, or a sparse dict."""
    if isinstance(v, SparseVector):
        return v.to_json()
    return v.tolist()


def parse_vector(value: Any, *, column: str | None = None) -> Vector:
    """Accept a vector as a caller sends it: a list of numbers, a sparse dict, or a vector."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64, copy=False)
    if isinstance(value, SparseVector):
        return value
    if isinstance(value, dict):
        try:
            size = int(value["size"])
            idx = np.asarray(value["indices"], dtype=np.int64)
            vals = np.asarray(value["values"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"a sparse vector needs 'size', 'indices' and 'values' ({exc})", column=column
            ) from None
        if idx.shape != vals.shape or (idx.size and (idx.min() < 0 or idx.max() >= size)):
            raise InvalidInputError("sparse vector indices and values do not fit its size", column=column)
        return SparseVector(size, idx, vals)
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidInputError("a vector must be a list of numbers", column=column) from None
    raise InvalidInputError(
        f"expected a vector (list of numbers or sparse dict), got {type(value).__name__}", column=column
    )


class VectorColumn:
    """A column of vectors of one size, stored dense (2-D) or as CSR arrays.

    ``sparse_rows`` says, per row, whether the row is shown as a sparse vector; it is what
    Spark would print, and does not change any value.
    """

    __slots__ = ("size", "dense", "indptr", "indices", "values", "sparse_rows")

    def __init__(
        self,
        size: int,
        *,
        dense: np.ndarray | None = None,
        csr: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        sparse_rows: np.ndarray | None = None,
    ) -> None:
        if (dense is None) == (csr is None):
            raise ValueError("a VectorColumn needs exactly one of dense or csr storage")
        self.size = int(size)
        self.dense = dense
        if csr is not None:
            self.indptr, self.indices, self.values = csr
        else:
            self.indptr = self.indices = self.values = None  # type: ignore[assignment]
        if sparse_rows is None:
            sparse_rows = np.full(len(self), csr is not None)
        self.sparse_rows = sparse_rows

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_dense(cls, matrix: np.ndarray, *, sparse_rows: np.ndarray | None = None) -> VectorColumn:
        """A column whose rows are the rows of a 2-D array (shown dense unless told)."""
        return cls(matrix.shape[1], dense=matrix, sparse_rows=sparse_rows)

    @classmethod
    def from_csr(cls, size: int, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray) -> VectorColumn:
        """A column of sparse rows from CSR arrays (row i is indices[indptr[i]:indptr[i+1]])."""
        return cls(size, csr=(indptr, indices, values))

    @classmethod
    def from_values(cls, values: Sequence[Any], *, column: str | None = None) -> VectorColumn:
        """Build a column from per-row vectors (ndarrays, SparseVectors, lists or sparse dicts)."""
        vecs = [parse_vector(v, column=column) for v in values]
        if not vecs:
            return cls(0, dense=np.zeros((0, 0)))
        size = vector_size(vecs[0])
        for i, v in enumerate(vecs):
            if vector_size(v) != size:
                raise InvalidInputError(
                    f"vector of size {vector_size(v)} where size {size} was expected", column=column, row=i
                )
        if all(isinstance(v, SparseVector) for v in vecs):
            indptr = np.zeros(len(vecs) + 1, dtype=np.int64)
            indptr[1:] = np.cumsum([v.indices.size for v in vecs])  # type: ignore[union-attr]
            idx = np.concatenate([v.indices for v in vecs]) if indptr[-1] else _EMPTY_INT  # type: ignore[union-attr]
            val = np.concatenate([v.values for v in vecs]) if indptr[-1] else _EMPTY_FLOAT  # type: ignore[union-attr]
            return cls(size, csr=(indptr, idx.astype(np.int64), val))
        flags = np.array([isinstance(v, SparseVector) for v in vecs])
        if any(isinstance(v, SparseVector) and not v.values.all() for v in vecs):
            # A sparse row stores explicit zeros, which Spark keeps and shows: store every row as
            # CSR (dense rows in full) so they survive; dense storage would drop them.
            full = np.arange(size)
            as_sparse = [v if isinstance(v, SparseVector) else SparseVector(size, full, v) for v in vecs]
            return cls.from_values(as_sparse, column=column).with_sparse_rows(flags)
        return cls(size, dense=np.vstack([to_dense(v) for v in vecs]), sparse_rows=flags)

    def with_sparse_rows(self, flags: np.ndarray) -> VectorColumn:
        """The same column with other per-row sparse/dense display flags."""
        self.sparse_rows = flags
        return self

    # --- access -------------------------------------------------------------------------
    def __len__(self) -> int:
        if self.dense is not None:
            return int(self.dense.shape[0])
        return int(self.indptr.shape[0] - 1)

    @property
    def is_dense(self) -> bool:
        """True when stored as a 2-D array."""
        return self.dense is not None

    def to_dense(self) -> np.ndarray:
        """All rows as an (n, size) float64 array."""
        if self.dense is not None:
            return self.dense
        n = len(self)
        out = np.zeros((n, self.size))
        rows = np.repeat(np.arange(n), np.diff(self.indptr))
        out[rows, self.indices] = self.values
        return out

    def to_csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All rows as CSR arrays ``(indptr, indices, values)`` holding the non-zeros."""
        if self.dense is None:
            return self.indptr, self.indices, self.values
        rows, cols = np.nonzero(self.dense)
        indptr = np.zeros(self.dense.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.dense.shape[0]), out=indptr[1:])
        return indptr, cols.astype(np.int64), self.dense[rows, cols]

    def row(self, i: int) -> Vector:
        """Row ``i`` as Spark shows it: a dense array or a SparseVector."""
        if self.dense is not None:
            d = self.dense[i]
            return to_sparse(d) if self.sparse_rows[i] else d
        a, b = self.indptr[i], self.indptr[i + 1]
        sv = SparseVector(self.size, self.indices[a:b], self.values[a:b])
        return sv if self.sparse_rows[i] else sv.to_dense()

    def take(self, rows: np.ndarray) -> VectorColumn:
        """The rows at the given positions, in that order."""
        flags = self.sparse_rows[rows]
        if self.dense is not None:
            return VectorColumn(self.size, dense=self.dense[rows], sparse_rows=flags)
        parts = [self.row(int(i)) for i in rows]
        col = (
            VectorColumn.from_values([to_sparse(p) for p in parts])
            if parts
            else VectorColumn(self.size, csr=(np.zeros(1, dtype=np.int64), _EMPTY_INT, _EMPTY_FLOAT))
        )
        col.size = self.size
        col.sparse_rows = flags
        return col

    def compressed(self, *, byte_sizes: bool = False) -> VectorColumn:
        """Spark's per-row ``compressed``: each row sparse iff :func:`sparse_is_smaller`."""
        if self.dense is not None:
            nnz = np.count_nonzero(self.dense, axis=1)
        else:
            # Per-row non-zero counts from a running sum (reduceat fails when trailing rows are empty).
            running = np.concatenate(([0], np.cumsum(self.values != 0)))
            nnz = running[self.indptr[1:]] - running[self.indptr[:-1]]
        flags = sparse_is_smaller(nnz, self.size, byte_sizes=byte_sizes)
        if self.dense is not None:
            return VectorColumn(self.size, dense=self.dense, sparse_rows=flags)
        return VectorColumn(self.size, csr=(self.indptr, self.indices, self.values), sparse_rows=flags)

    def to_json(self) -> list[Any]:
        """JSON-ready rows: lists of floats, or sparse dicts where Spark shows sparse."""
        # Convert the whole arrays to Python lists once and slice them, rather than
        # building one numpy vector per row: this is most of transform_rows' output cost.
        flags = self.sparse_rows.tolist()
        if self.dense is not None:
            rows = self.dense.tolist()
            if any(flags):
                for i in np.flatnonzero(self.sparse_rows).tolist():
                    rows[i] = vector_to_json(to_sparse(self.dense[i]))
            return rows
        ptr, idx, val = self.indptr.tolist(), self.indices.tolist(), self.values.tolist()
        size = self.size
        return [
            {"size": size, "indices": idx[ptr[i] : ptr[i + 1]], "values": val[ptr[i] : ptr[i + 1]]}
            if flags[i]
            else vector_to_json(self.row(i))
            for i in range(len(flags))
        ]
