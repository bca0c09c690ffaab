"""ImputerModel: fill nulls and a placeholder value with the fitted mean, median or mode."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ModelLoadError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math import imputer as im
from .base import Stage, register
from .numeric_input import nullable_doubles, row_nullable_double, user_set


@register("org.apache.spark.ml.feature.ImputerModel")
class ImputerModel(Stage):
    """``ImputerModel``: each output is its input with nulls and ``missingValue`` replaced.

    The surrogates (mean, median or mode, whichever strategy was fitted) are read from
    ``data/``. Outputs are doubles: Spark casts them back to the input column's type, which
    for an integer column truncates the surrogate; a saved model does not record that type
    (and JSON numbers do not carry it), so integer inputs get the double surrogate here.
    """

    def __init__(self, meta: StageMetadata, surrogates: dict[str, float]) -> None:
        super().__init__(meta)
        if user_set(self, "inputCol"):
            self.inputs = [str(meta.require("inputCol"))]
            self.outputs = [str(meta.require("outputCol"))]
        else:
            self.inputs = [str(c) for c in meta.require("inputCols")]
            self.outputs = [str(c) for c in meta.require("outputCols")]
        if len(self.inputs) != len(self.outputs):
            raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): inputCols and outputCols differ in length")
        missing = [c for c in self.inputs if c not in surrogates]
        if missing:
            raise ModelLoadError(
                f"{meta.class_name} (uid {meta.uid}): no surrogate saved for {missing} in {meta.path}/data"
            )
        self.surrogates = [float(surrogates[c]) for c in self.inputs]
        self.missing_value = meta.double("missingValue", math.nan)

    @classmethod
    def load(cls, meta: StageMetadata) -> ImputerModel:
        rows = read_rows(meta.path)
        if len(rows) != 1:
            raise ModelLoadError(f"{meta.path}/data: expected one row of surrogates, found {len(rows)}")
        return cls(meta, {k: v for k, v in rows[0].items() if isinstance(v, (int, float))})

    def input_fields(self) -> list[Field]:
        return [Field(c, "numeric") for c in self.inputs]

    def output_fields(self) -> list[Field]:
        return [Field(c, "double", nullable=False) for c in self.outputs]

    def transform_batch(self, frame: Frame) -> None:
        outputs = []
        for name, surrogate in zip(self.inputs, self.surrogates, strict=True):
            x, nulls = nullable_doubles(self, frame, name)
            outputs.append(im.impute(x, nulls, self.missing_value, surrogate))
        for name, out in zip(self.outputs, outputs, strict=True):
            frame.set(name, out)

    def transform_row(self, row: dict[str, Any]) -> None:
        values = [row_nullable_double(self, row, c) for c in self.inputs]
        for name, v, surrogate in zip(self.outputs, values, self.surrogates, strict=True):
            row[name] = im.impute_value(v, self.missing_value, surrogate)
