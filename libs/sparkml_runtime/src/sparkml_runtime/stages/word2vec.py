"""Word2VecModel: each token list becomes the average of its words' vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.word2vec import sentence_vector
from ..vectors import SparseVector, Vector, VectorColumn
from .base import Stage, register, row_value


@register("org.apache.spark.ml.feature.Word2VecModel")
class Word2Vec(Stage):
    """Word2Vec: (Σ vectors of the known words) · (1 / number of words); [] gives a zero sparse vector."""

    def __init__(self, meta: StageMetadata, words: list[str], vectors: np.ndarray) -> None:
        super().__init__(meta)
        self.input_col = str(meta.require("inputCol"))
        self.output_col = str(meta.require("outputCol"))
        self.index = {w: i for i, w in enumerate(words)}
        self.vectors = vectors
        self.size = int(meta.get("vectorSize", vectors.shape[1]))
        if vectors.shape[1] != self.size:
            raise ModelLoadError(f"{meta.path}: word vectors have size {vectors.shape[1]}, vectorSize is {self.size}")

    @classmethod
    def load(cls, meta: StageMetadata) -> Word2Vec:
        rows = read_rows(meta.path)
        if not rows or "word" not in rows[0]:
            raise ModelLoadError(f"{meta.path}/data has no (word, vector) rows")
        words = [str(r["word"]) for r in rows]
        # float32 as saved, widened to double as Spark does before summing
        vectors = np.array([np.asarray(r["vector"], dtype=np.float32) for r in rows]).astype(np.float64)
        return cls(meta, words, vectors)

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "array<string>", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _vector(self, words: Any, row: int | None) -> Vector:
        if words is None:
            raise self.invalid("null token list", column=self.input_col, row=row)
        if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
            raise self.invalid("expected a list of strings", column=self.input_col, row=row)
        if not words:
            return SparseVector(self.size, np.zeros(0, dtype=np.int64), np.zeros(0))
        return sentence_vector(words, self.index, self.vectors)

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        vecs = [self._vector(w, r) for r, w in enumerate(col)]
        if not vecs:
            frame.set(self.output_col, VectorColumn.from_dense(np.zeros((0, self.size))))
            return
        frame.set(self.output_col, VectorColumn.from_values(vecs, column=self.output_col))

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self._vector(row_value(self, row, self.input_col), None)
