"""PCAModel: project feature vectors onto the fitted principal components."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import decode_matrix, read_rows
from ..io.metadata import StageMetadata
from ..math import pca as pm
from ..vectors import VectorColumn, vector_size
from .base import Stage, register, row_vector


@register("org.apache.spark.ml.feature.PCAModel")
class PCAModel(Stage):
    """``PCAModel``: ``pcᵀ · x`` for each vector; the output is always dense, of size k."""

    def __init__(self, meta: StageMetadata, pc: np.ndarray) -> None:
        super().__init__(meta)
        self.input_col = str(meta.require("inputCol"))
        self.output_col = str(meta.require("outputCol"))
        self.pc = pc

    @classmethod
    def load(cls, meta: StageMetadata) -> PCAModel:
        rows = read_rows(meta.path)
        if len(rows) != 1 or "pc" not in rows[0]:
            raise ModelLoadError(f"{meta.path}/data: expected one row with the 'pc' matrix")
        return cls(meta, decode_matrix(rows[0]["pc"]))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _wrong_size(self, got: int, row: int | None) -> Exception:
        return self.invalid(
            f"vector of size {got}, the model was fitted on size {self.pc.shape[0]}", column=self.input_col, row=row
        )

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.input_col, self.name)
        if len(x) == 0:  # e.g. every row skipped earlier
            frame.set(self.output_col, VectorColumn.from_dense(np.zeros((0, self.pc.shape[1]))))
            return
        if x.size != self.pc.shape[0]:
            raise self._wrong_size(x.size, 0)
        frame.set(self.output_col, VectorColumn.from_dense(pm.project_rows(x, self.pc)))

    def transform_row(self, row: dict[str, Any]) -> None:
        v = row_vector(self, row, self.input_col)
        if vector_size(v) != self.pc.shape[0]:
            raise self._wrong_size(vector_size(v), None)
        row[self.output_col] = pm.project(v, self.pc)
