"""Feature selectors: ChiSqSelectorModel, UnivariateFeatureSelectorModel and
VarianceThresholdSelectorModel all keep the ``selectedFeatures`` they saved."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.selectors import select_column, select_vector
from ..vectors import VectorColumn, vector_size
from .base import Stage, register, row_vector


@register(
    "org.apache.spark.ml.feature.ChiSqSelectorModel",
    "org.apache.spark.ml.feature.UnivariateFeatureSelectorModel",
    "org.apache.spark.ml.feature.VarianceThresholdSelectorModel",
)
class FeatureSelector(Stage):
    """Selectors: the output keeps the saved ``selectedFeatures`` of each vector, in index order."""

    def __init__(self, meta: StageMetadata, selected: list[int]) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.output_col = str(meta.require("outputCol"))
        self.selected = np.array(sorted(selected), dtype=np.int64)
        if len(set(selected)) != len(selected) or (self.selected < 0).any():
            raise ModelLoadError(f"{meta.path}: selectedFeatures must be distinct and >= 0")
        self.max_index = int(self.selected.max()) if self.selected.size else -1

    @classmethod
    def load(cls, meta: StageMetadata) -> FeatureSelector:
        rows = read_rows(meta.path)
        if not rows or rows[0].get("selectedFeatures") is None:
            raise ModelLoadError(f"{meta.path}/data has no selectedFeatures")
        return cls(meta, [int(i) for i in rows[0]["selectedFeatures"]])

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _check(self, size: int, row: int | None) -> None:
        if self.max_index >= size:
            raise self.invalid(
                f"selected feature {self.max_index} is outside a vector of size {size}",
                column=self.features_col,
                row=row,
            )

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if not len(x):
            frame.set(self.output_col, VectorColumn.from_dense(np.zeros((0, self.selected.size))))
            return
        self._check(x.size, 0)
        frame.set(self.output_col, select_column(x, self.selected))

    def transform_row(self, row: dict[str, Any]) -> None:
        v = row_vector(self, row, self.features_col)
        self._check(vector_size(v), None)
        row[self.output_col] = select_vector(v, self.selected)
