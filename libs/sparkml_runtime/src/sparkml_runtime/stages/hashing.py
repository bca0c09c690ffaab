"""Hashing stages: HashingTF (FeatureHasher is added beside it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..math.hashing import murmur3_index
from ..vectors import SparseVector, VectorColumn
from .base import Stage, register, row_value


@register("org.apache.spark.ml.feature.HashingTF")
class HashingTF(Stage):
    """``HashingTF``: term counts (or 1.0 when ``binary``) at murmur3-hashed indices."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        if meta.spark_major and meta.spark_major < 3:
            from ..errors import UnsupportedStageError

            raise UnsupportedStageError(meta.class_name, meta.uid, "models saved by Spark < 3.0 hash differently")
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.num_features = int(meta.get("numFeatures", 1 << 18))
        self.binary = bool(meta.get("binary", False))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "array<string>", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _counts(self, terms: Any, row: int | None = None) -> dict[int, float]:
        if not isinstance(terms, (list, tuple)):
            raise self.invalid("expected a list of strings", column=self.input_col, row=row)
        counts: dict[int, float] = {}
        n = self.num_features
        for t in terms:
            if not isinstance(t, str):
                raise self.invalid(f"expected a string term, got {type(t).__name__}", column=self.input_col, row=row)
            i = murmur3_index(t, n)
            counts[i] = counts.get(i, 0.0) + 1.0
        if self.binary:
            counts = dict.fromkeys(counts, 1.0)
        return counts

    def transform_row(self, row: dict[str, Any]) -> None:
        counts = self._counts(row_value(self, row, self.input_col))
        idx = sorted(counts)
        row[self.output_col] = SparseVector(
            self.num_features, np.array(idx, dtype=np.int64), np.array([counts[i] for i in idx])
        )

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        indptr = np.zeros(len(col) + 1, dtype=np.int64)
        all_idx: list[int] = []
        all_val: list[float] = []
        for r, terms in enumerate(col):
            counts = self._counts(terms, r)
            idx = sorted(counts)
            all_idx.extend(idx)
            all_val.extend(counts[i] for i in idx)
            indptr[r + 1] = len(all_idx)
        frame.set(
            self.output_col,
            VectorColumn.from_csr(
                self.num_features, indptr, np.array(all_idx, dtype=np.int64), np.array(all_val, dtype=np.float64)
            ),
        )
