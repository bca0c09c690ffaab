"""CountVectorizerModel: term counts over a fitted vocabulary."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.count_vectorizer import count_terms
from ..vectors import SparseVector, VectorColumn
from .base import Stage, register, row_value


@register("org.apache.spark.ml.feature.CountVectorizerModel")
class CountVectorizerModel(Stage):
    """``CountVectorizerModel``: count vocabulary terms; keep counts >= minTF (absolute when
    minTF >= 1, else a fraction of the document's token count); ``binary`` sets them to 1."""

    def __init__(self, meta: StageMetadata, vocabulary: list[str]) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.min_tf = meta.double("minTF", 1.0)
        self.binary = bool(meta.get("binary", False))
        # Spark's vocabulary.zipWithIndex.toMap: a repeated term keeps its last index, and
        # the vector size is the number of distinct terms.
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.size = len(self.index)

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        rows = read_rows(meta.path)
        vocabulary = rows[0]["vocabulary"] if rows else []
        return cls(meta, list(vocabulary))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "array<string>", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _terms(self, value: Any, row: int | None) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            what = "null" if value is None else f"{type(value).__name__} {value!r}"
            raise self.invalid(f"expected a list of strings, got {what}", column=self.input_col, row=row)
        for t in value:
            if t is not None and type(t) is not str:
                raise self.invalid(
                    f"expected string terms, got {type(t).__name__} {t!r}", column=self.input_col, row=row
                )
        return list(value)

    def _threshold(self, n_tokens: int) -> float:
        return self.min_tf if self.min_tf >= 1.0 else n_tokens * self.min_tf

    def transform_row(self, row: dict[str, Any]) -> None:
        terms = self._terms(row_value(self, row, self.input_col), None)
        index = self.index
        counts: dict[int, float] = {}
        for t in terms:
            i = index.get(t)
            if i is not None:
                counts[i] = counts.get(i, 0.0) + 1.0
        threshold = self._threshold(len(terms))
        kept = sorted(i for i, c in counts.items() if c >= threshold)
        values = [1.0] * len(kept) if self.binary else [counts[i] for i in kept]
        row[self.output_col] = SparseVector(
            self.size, np.array(kept, dtype=np.int64), np.array(values, dtype=np.float64)
        )

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        docs = [self._terms(v, i) for i, v in enumerate(col)]
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        index = self.index
        term_ids = np.fromiter((index.get(t, -1) for d in docs for t in d), dtype=np.int64, count=int(lengths.sum()))
        thresholds = np.full(len(docs), self.min_tf) if self.min_tf >= 1.0 else lengths * self.min_tf
        indptr, indices, values = count_terms(term_ids, lengths, thresholds, self.size, binary=self.binary)
        frame.set(self.output_col, VectorColumn.from_csr(self.size, indptr, indices, values))
