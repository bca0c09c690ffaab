"""IDFModel: scale term frequencies by the fitted inverse document frequencies."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..vectors import SparseVector, VectorColumn, to_dense
from .base import Stage, register, row_vector


@register("org.apache.spark.ml.feature.IDFModel")
class IDFModel(Stage):
    """``IDFModel``: each entry times its term's idf (terms under minDocFreq already have idf 0).

    Sparse input stays sparse with the same indices (explicit zeros kept), dense stays dense.
    """

    def __init__(self, meta: StageMetadata, idf: np.ndarray) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.idf = idf

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        rows = read_rows(meta.path)
        if not rows or "idf" not in rows[0]:
            raise ModelLoadError(f"{meta.path}/data holds no idf vector")
        # Spark >= 3.0 also saves docFreq and numDocs; only idf is needed to transform.
        return cls(meta, np.asarray(to_dense(decode_vector(rows[0]["idf"])), dtype=np.float64))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _check(self, largest_index: int, row: int | None) -> None:
        # Spark indexes idf with the input's positions and fails past its end.
        if largest_index >= self.idf.shape[0]:
            raise self.invalid(
                f"vector index {largest_index} is past the {self.idf.shape[0]} terms the IDF model knows",
                column=self.input_col,
                row=row,
            )

    def transform_row(self, row: dict[str, Any]) -> None:
        v = row_vector(self, row, self.input_col)
        if isinstance(v, SparseVector):
            if v.indices.size:
                self._check(int(v.indices.max()), None)
            row[self.output_col] = SparseVector(v.size, v.indices, v.values * self.idf[v.indices])
        else:
            self._check(v.shape[0] - 1, None)
            row[self.output_col] = v * self.idf[: v.shape[0]]

    def transform_batch(self, frame: Frame) -> None:
        col = frame.vectors(self.input_col, self.name)
        if col.is_dense:
            dense = col.to_dense()
            if len(col):
                self._check(col.size - 1, 0)
            out = VectorColumn(col.size, dense=dense * self.idf[: col.size], sparse_rows=col.sparse_rows)
        else:
            indptr, indices, values = col.to_csr()
            if indices.size:
                bad = np.flatnonzero(indices >= self.idf.shape[0])
                if bad.size:
                    self._check(int(indices[bad[0]]), int(np.searchsorted(indptr, bad[0], side="right") - 1))
            out = VectorColumn(col.size, csr=(indptr, indices, values * self.idf[indices]), sparse_rows=col.sparse_rows)
        frame.set(self.output_col, out)
