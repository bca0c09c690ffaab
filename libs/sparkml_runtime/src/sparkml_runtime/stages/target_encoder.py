"""TargetEncoderModel (Spark 4): each category index becomes its blended target statistic."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.target_encoding import NULL_CATEGORY, UNSEEN_CATEGORY, encodings
from .base import Stage, register, row_value
from .numeric_input import user_set


@register("org.apache.spark.ml.feature.TargetEncoderModel")
class TargetEncoder(Stage):
    """Target encoding: category (cast to double) → w · category stat + (1 - w) · global stat, w = n / (n + smoothing).

    null takes the null category's encoding when fitting saw nulls; an unseen value (or a
    null never seen) is an error under handleInvalid='error', the global statistic under 'keep'.
    """

    def __init__(self, meta: StageMetadata, stats: list[dict[float, tuple[float, float]]]) -> None:
        super().__init__(meta)
        if user_set(self, "inputCol"):
            self.inputs = [str(meta.require("inputCol"))]
        else:
            self.inputs = [str(c) for c in meta.get("inputCols") or []]
        if user_set(self, "outputCol"):
            self.outputs = [str(meta.require("outputCol"))]
        elif user_set(self, "outputCols"):
            self.outputs = [str(c) for c in meta.require("outputCols")]
        else:
            self.outputs = [f"{c}_indexed" for c in self.inputs]
        if not self.inputs or len(self.inputs) != len(self.outputs) or len(stats) != len(self.inputs):
            raise ModelLoadError(
                f"{meta.path}: {len(self.inputs)} inputs, {len(self.outputs)} outputs, {len(stats)} stats"
            )
        self.keep = str(meta.get("handleInvalid", "error")) == "keep"
        target = str(meta.get("targetType", "binary"))
        if target not in ("binary", "continuous"):
            raise UnsupportedStageError(meta.class_name, meta.uid, f"targetType {target!r}")
        smoothing = float(meta.get("smoothing", 0.0))
        self.maps: list[dict[float, float]] = []
        self.null_codes: list[float | None] = []
        self.unseen_codes: list[float] = []
        for s in stats:
            if UNSEEN_CATEGORY not in s:
                raise ModelLoadError(f"{meta.path}: the saved statistics have no global entry")
            enc = encodings(s, smoothing, target == "binary")
            self.unseen_codes.append(enc[UNSEEN_CATEGORY])
            self.null_codes.append(enc.get(NULL_CATEGORY))
            self.maps.append({k: v for k, v in enc.items() if k not in (UNSEEN_CATEGORY, NULL_CATEGORY)})

    @classmethod
    def load(cls, meta: StageMetadata) -> TargetEncoder:
        rows = sorted(read_rows(meta.path), key=lambda r: int(r["index"]))
        stats = [
            {float(c): (float(n), float(s)) for c, n, s in zip(r["categories"], r["counts"], r["stats"], strict=True)}
            for r in rows
        ]
        return cls(meta, stats)

    def input_fields(self) -> list[Field]:
        return [Field(c, "double", nullable=True) for c in self.inputs]

    def output_fields(self) -> list[Field]:
        return [Field(c, "double", nullable=False) for c in self.outputs]

    def _encode(self, pos: int, value: Any, row: int | None) -> float:
        if value is None:
            code = self.null_codes[pos]
            if code is not None:
                return code
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            found = self.maps[pos].get(float(value))
            if found is not None:
                return found
        else:
            raise self.invalid(
                f"expected a number, got {type(value).__name__} {value!r}", column=self.inputs[pos], row=row
            )
        if self.keep:
            return self.unseen_codes[pos]
        raise self.invalid(
            f"unseen value {value!r} in feature {self.inputs[pos]}; set handleInvalid to 'keep' to encode it "
            "with the global statistic",
            column=self.inputs[pos],
            row=row,
        )

    def transform_batch(self, frame: Frame) -> None:
        results = []
        for pos, (src, dst) in enumerate(zip(self.inputs, self.outputs, strict=True)):
            col = frame.raw(src, self.name)
            values = col.tolist() if isinstance(col, np.ndarray) else col
            results.append((dst, np.array([self._encode(pos, v, r) for r, v in enumerate(values)], dtype=np.float64)))
        for dst, out in results:
            frame.set(dst, out)

    def transform_row(self, row: dict[str, Any]) -> None:
        for pos, (src, dst) in enumerate(zip(self.inputs, self.outputs, strict=True)):
            row[dst] = self._encode(pos, row_value(self, row, src), None)
