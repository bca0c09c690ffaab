"""LSH models: MinHashLSHModel and BucketedRandomProjectionLSHModel.

Both add ``outputCol``: an array with one 1-element dense vector per hash table, shown as
a list of one-element lists.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import decode_matrix, read_rows
from ..io.metadata import StageMetadata
from ..math import linear as lm
from ..math.lsh import bucket, minhash, minhash_row
from ..vectors import SparseVector, Vector, VectorColumn, vector_size
from .base import Stage, register, row_vector


def _as_hash_lists(values: np.ndarray) -> list[list[list[float]]]:
    return [[[v] for v in row] for row in values.astype(np.float64).tolist()]


class _LSH(Stage):
    """Shared wiring: inputCol (vector) → outputCol (array of 1-element vectors)."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col = str(meta.require("inputCol"))
        self.output_col = str(meta.require("outputCol"))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "array<vector>", nullable=False)]

    def hashes_batch(self, x: VectorColumn) -> np.ndarray:
        """(n, tables) hash values."""
        raise NotImplementedError

    def hashes_row(self, x: Vector) -> list[float]:
        """One vector's hash values."""
        raise NotImplementedError

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.input_col, self.name)
        frame.set(self.output_col, _as_hash_lists(self.hashes_batch(x)) if len(x) else [])

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = [[h] for h in self.hashes_row(row_vector(self, row, self.input_col))]


@register("org.apache.spark.ml.feature.MinHashLSHModel")
class MinHashLSH(_LSH):
    """MinHash: per (a, b), min over non-zero indices i of ((1 + i) · a + b) mod 2038074743."""

    def __init__(self, meta: StageMetadata, coefficients: list[int]) -> None:
        super().__init__(meta)
        if not coefficients or len(coefficients) % 2:
            raise ModelLoadError(f"{meta.path}: randCoefficients must hold (a, b) pairs")
        self.a = np.array(coefficients[0::2], dtype=np.int64)
        self.b = np.array(coefficients[1::2], dtype=np.int64)

    @classmethod
    def load(cls, meta: StageMetadata) -> MinHashLSH:
        rows = read_rows(meta.path)
        if not rows or rows[0].get("randCoefficients") is None:
            raise ModelLoadError(f"{meta.path}/data has no randCoefficients")
        return cls(meta, [int(v) for v in rows[0]["randCoefficients"]])

    def _empty(self, row: int | None) -> Exception:
        return self.invalid("MinHash needs at least 1 non-zero entry in the vector", column=self.input_col, row=row)

    def hashes_batch(self, x: VectorColumn) -> np.ndarray:
        if x.dense is not None:
            rows, idx = np.nonzero(x.dense)
        else:
            indptr, indices, values = x.to_csr()
            rows = np.repeat(np.arange(len(x)), np.diff(indptr))
            keep = values != 0
            rows, idx = rows[keep], indices[keep]
        out = minhash(rows, idx, len(x), self.a, self.b)
        empty = out[:, 0] < 0
        if empty.any():
            raise self._empty(int(np.argmax(empty)))
        return out

    def hashes_row(self, x: Vector) -> list[float]:
        idx = x.indices[x.values != 0] if isinstance(x, SparseVector) else np.flatnonzero(x)
        if idx.size == 0:
            raise self._empty(None)
        return minhash_row(idx, self.a, self.b)


@register("org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel")
class BucketedRandomProjectionLSH(_LSH):
    """Bucketed random projection: floor((r · x) / bucketLength) per random unit vector r."""

    def __init__(self, meta: StageMetadata, unit_vectors: np.ndarray) -> None:
        super().__init__(meta)
        self.unit_vectors = unit_vectors  # (tables, features)
        self.bucket_length = meta.double("bucketLength")

    @classmethod
    def load(cls, meta: StageMetadata) -> BucketedRandomProjectionLSH:
        rows = read_rows(meta.path)
        if not rows or rows[0].get("randUnitVectors") is None:
            raise ModelLoadError(f"{meta.path}/data has no randUnitVectors")
        return cls(meta, decode_matrix(rows[0]["randUnitVectors"]))

    def _check(self, size: int, row: int | None) -> None:
        if size != self.unit_vectors.shape[1]:
            raise self.invalid(
                f"vectors have size {size}, the model expects {self.unit_vectors.shape[1]}",
                column=self.input_col,
                row=row,
            )

    def hashes_batch(self, x: VectorColumn) -> np.ndarray:
        self._check(x.size, 0)
        zeros = np.zeros(self.unit_vectors.shape[0])
        return bucket(lm.margin_matrix(x, self.unit_vectors, zeros), self.bucket_length)

    def hashes_row(self, x: Vector) -> list[float]:
        self._check(vector_size(x), None)
        zeros = np.zeros(self.unit_vectors.shape[0])
        return bucket(np.array(lm.row_margins(x, self.unit_vectors, zeros)), self.bucket_length).tolist()
