"""StringIndexerModel (labels to indices) and IndexToString (indices back to labels)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelLoadError, RowFiltered, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.string_indexer import NULL, LabelTable, cast_to_string
from .base import Stage, register, row_value
from .in_out_columns import in_out_columns

_MODES = ("error", "skip", "keep")


def _is_nan_float(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and v != v


@register("org.apache.spark.ml.feature.StringIndexerModel")
class StringIndexerModel(Stage):
    """``StringIndexerModel``: each input (cast to string as Spark casts it) becomes its label's index.

    handleInvalid: 'error' raises on null or unseen labels; 'keep' gives them index
    numLabels; 'skip' drops the row, and, like Spark's ``na.drop``, also drops a row whose
    numeric input is NaN. An input column absent from the rows is skipped with no output,
    as Spark's ``transform`` does: a pipeline that indexes its label scores rows without one.
    Under 'skip' Spark's row filter reads every input column, so there an absent column
    is an error, as in Spark.
    """

    handle_invalid_modes = _MODES

    def __init__(self, meta: StageMetadata, labels_array: list[list[str]]) -> None:
        super().__init__(meta)
        self.inputs, self.outputs = in_out_columns(self)
        self.handle_invalid = str(meta.get("handleInvalid", "error"))
        if self.handle_invalid not in _MODES:
            raise UnsupportedStageError(meta.class_name, meta.uid, f"handleInvalid {self.handle_invalid!r}")
        if len(labels_array) != len(self.inputs):
            raise ModelLoadError(f"{meta.path}: {len(labels_array)} label lists for {len(self.inputs)} input columns")
        self.tables = [LabelTable(list(labels)) for labels in labels_array]
        self._specs = list(zip(self.inputs, self.outputs, self.tables, strict=True))

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data is empty")
        if rows[0].get("labelsArray") is not None:  # Spark >= 3.0
            return cls(meta, [list(labels) for labels in rows[0]["labelsArray"]])
        if rows[0].get("labels") is not None:  # Spark < 3.0: one input column
            return cls(meta, [list(rows[0]["labels"])])
        raise ModelLoadError(f"{meta.path}/data has neither labelsArray nor labels")

    def input_fields(self) -> list[Field]:
        nullable = self.handle_invalid != "error"
        optional = self.handle_invalid != "skip"
        return [Field(c, "numeric", nullable=nullable, required=not optional) for c in self.inputs]

    def conditional_outputs(self) -> dict[str, str]:
        if self.handle_invalid == "skip":
            return {}
        return dict(zip(self.outputs, self.inputs, strict=True))

    def output_fields(self) -> list[Field]:
        return [Field(c, "double", nullable=False) for c in self.outputs]

    def _problem(self, value: Any, idx: float) -> str:
        if idx == NULL:
            return "StringIndexer met a null value; set handleInvalid to 'keep' or 'skip' to index or drop nulls"
        return (
            f"unseen label {cast_to_string(value)!r} (not among the fitted labels); "
            "set handleInvalid to 'keep' or 'skip' to index or drop unseen labels"
        )

    def _lookup(self, table: LabelTable, value: Any, column: str, row: int | None) -> float:
        try:
            return table.lookup(value)
        except TypeError as exc:
            raise self.invalid(str(exc), column=column, row=row) from None

    # --- row path ---------------------------------------------------------------------------
    def transform_row(self, row: dict[str, Any]) -> None:
        mode = self.handle_invalid
        for src, dst, table in self._specs:
            try:
                value = row[src]
            except KeyError:
                if mode == "skip":
                    row_value(self, row, src)  # raises the missing-column error, as Spark's filter does
                continue  # Spark skips an absent input column and adds no output for it
            if type(value) is str:
                # The hot path: a known string label is one dict lookup.
                found = table.by_string.get(value)
                if found is not None:
                    row[dst] = found
                    continue
            idx = self._lookup(table, value, src, None)
            if idx < 0.0:
                if mode == "keep":
                    idx = float(len(table))
                elif mode == "skip":
                    raise RowFiltered(self.name, src)
                else:
                    raise self.invalid(self._problem(value, idx), column=src)
            elif mode == "skip" and _is_nan_float(value):
                raise RowFiltered(self.name, src)
            row[dst] = idx

    # --- columnar path ----------------------------------------------------------------------
    def transform_batch(self, frame: Frame) -> None:
        mode = self.handle_invalid
        results: list[tuple[str, np.ndarray]] = []
        first_bad: tuple[int, int, Any, float] | None = None  # (row, column position, value, code)
        drop = np.zeros(frame.n, dtype=bool)
        for pos, (src, dst, table) in enumerate(self._specs):
            if src not in frame.columns and mode != "skip":
                continue  # Spark skips an absent input column and adds no output for it
            col = frame.raw(src, self.name)
            if isinstance(col, np.ndarray):
                col = col.tolist()
            lookup = table.lookup
            try:
                idx = np.fromiter((lookup(v) for v in col), dtype=np.float64, count=len(col))
            except TypeError:
                for r, v in enumerate(col):
                    self._lookup(table, v, src, r)
                raise
            bad = idx < 0.0
            if mode == "keep":
                idx[bad] = float(len(table))
            elif mode == "skip":
                drop |= bad
                drop |= np.fromiter((_is_nan_float(v) for v in col), dtype=bool, count=len(col))
            elif bad.any():
                r = int(np.argmax(bad))
                # Spark evaluates row by row: report the first bad row, then its first bad column.
                if first_bad is None or r < first_bad[0]:
                    first_bad = (r, pos, col[r], float(idx[r]))
            results.append((dst, idx))
        if first_bad is not None:
            r, pos, value, code = first_bad
            raise self.invalid(self._problem(value, code), column=self.inputs[pos], row=r)
        for dst, idx in results:
            frame.set(dst, idx)
        if drop.any():
            frame.keep(~drop)


_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1


@register("org.apache.spark.ml.feature.IndexToString")
class IndexToString(Stage):
    """``IndexToString`` with its ``labels`` param: index (truncated to int) → label.

    Labels taken from the input column's ML attributes exist only inside a Spark
    DataFrame, so a model without the ``labels`` param cannot be served and fails to load.
    Spark 4 casts with ANSI rules: null, NaN and out-of-range indices are errors. Spark 3
    used a UDF: null gives null and NaN reads as index 0.
    """

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        labels = meta.get("labels")
        if not labels:
            raise UnsupportedStageError(
                meta.class_name,
                meta.uid,
                "no 'labels' param: labels from the input column's metadata are not available at serving time; "
                "set labels=<StringIndexerModel>.labels when building the pipeline",
            )
        self.labels: list[str] = list(labels)
        self.ansi = meta.spark_major >= 4

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "double", nullable=not self.ansi)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "string", nullable=not self.ansi)]

    def _label(self, value: Any, row: int | None) -> str | None:
        if value is None:
            if self.ansi:
                raise self.invalid("unseen index: null", column=self.input_col, row=row)
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise self.invalid(
                f"expected a number, got {type(value).__name__} {value!r}", column=self.input_col, row=row
            )
        d = float(value)
        if self.ansi:
            if not math.isfinite(d) or not (_INT_MIN <= math.trunc(d) <= _INT_MAX):
                raise self.invalid(f"index {value!r} does not fit an int", column=self.input_col, row=row)
            idx = math.trunc(d)
        elif d != d:
            idx = 0  # the JVM's NaN.toInt
        else:
            idx = max(_INT_MIN, min(_INT_MAX, math.trunc(d))) if math.isfinite(d) else (_INT_MAX if d > 0 else _INT_MIN)
        if 0 <= idx < len(self.labels):
            return self.labels[idx]
        raise self.invalid(
            f"unseen index: {idx} (the model has {len(self.labels)} labels)", column=self.input_col, row=row
        )

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self._label(row_value(self, row, self.input_col), None)

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        if isinstance(col, np.ndarray):
            col = col.tolist()
        frame.set(self.output_col, [self._label(v, r) for r, v in enumerate(col)])
