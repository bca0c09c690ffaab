"""Discretisers: Bucketizer (also what QuantileDiscretizer.fit saves) and Binarizer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelLoadError, RowFiltered, UnsupportedStageError
from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..math import bucketizer as bm
from ..vectors import SparseVector, Vector, VectorColumn, compressed, sparse_is_smaller, to_dense
from .base import Stage, register, row_vector
from .numeric_input import decode_double, nullable_doubles, row_nullable_double, user_set

_MODES = ("error", "skip", "keep")


def _check_mode(stage: Stage, modes: tuple[str, ...]) -> str:
    mode = str(stage.param("handleInvalid", "error"))
    if mode not in modes:
        raise UnsupportedStageError(stage.meta.class_name, stage.uid, f"handleInvalid={mode!r} is not one of {modes}")
    return mode


def _splits(meta: StageMetadata, raw: Any, column: str) -> list[float]:
    try:
        splits = [decode_double(v) for v in raw]
    except (TypeError, ValueError, KeyError):
        raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): unreadable splits {raw!r}") from None
    ok = len(splits) >= 3 and not any(math.isnan(s) for s in splits)
    if not ok or any(a >= b for a, b in zip(splits, splits[1:], strict=False)):
        raise ModelLoadError(
            f"{meta.class_name} (uid {meta.uid}): splits for '{column}' must be >= 3 strictly increasing numbers"
        )
    return splits


@register("org.apache.spark.ml.feature.Bucketizer")
class Bucketizer(Stage):
    """``Bucketizer``: bucket index of each value; single column (splits) or several (splitsArray).

    NaN: error raises, skip drops the row, keep gives the extra bucket ``len(splits) - 1``.
    Null passes through as null (skip drops it). Values outside the splits always raise.
    """

    handle_invalid_modes = _MODES

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.mode = _check_mode(self, _MODES)
        if user_set(self, "inputCols"):
            self.inputs = [str(c) for c in meta.require("inputCols")]
            self.outputs = [str(c) for c in meta.require("outputCols")]
            raw_splits = list(meta.require("splitsArray"))
        else:
            self.inputs = [str(meta.require("inputCol"))]
            self.outputs = [str(meta.require("outputCol"))]
            raw_splits = [meta.require("splits")]
        if not (len(self.inputs) == len(self.outputs) == len(raw_splits)):
            raise ModelLoadError(
                f"{meta.class_name} (uid {meta.uid}): inputCols, outputCols and splitsArray differ in length"
            )
        self.splits = [_splits(meta, s, c) for s, c in zip(raw_splits, self.inputs, strict=True)]
        self.split_arrays = [np.asarray(s) for s in self.splits]

    def input_fields(self) -> list[Field]:
        return [Field(c, "double") for c in self.inputs]

    def output_fields(self) -> list[Field]:
        return [Field(c, "double") for c in self.outputs]

    def _out_of_range(self, value: float, k: int, row: int | None) -> Exception:
        s = self.splits[k]
        return self.invalid(
            f"value {value} is outside the Bucketizer splits [{s[0]}, {s[-1]}]; add -inf/inf splits to cover it",
            column=self.inputs[k],
            row=row,
        )

    def _nan_error(self, k: int, row: int | None) -> Exception:
        return self.invalid(
            "NaN value with handleInvalid='error'; use 'keep' or 'skip' to accept NaN", column=self.inputs[k], row=row
        )

    def transform_batch(self, frame: Frame) -> None:
        cols = [nullable_doubles(self, frame, c) for c in self.inputs]
        if self.mode == "skip":
            mask = np.ones(frame.n, dtype=bool)
            for x, _ in cols:
                mask &= ~np.isnan(x)  # nulls are NaN here too: na.drop drops both
            if not mask.all():
                frame.keep(mask)
                cols = [(x[mask], nulls[mask]) for x, nulls in cols]
        results = []
        first_bad: tuple[int, Exception] | None = None
        for k, (x, nulls) in enumerate(cols):
            isnan = np.isnan(x)
            nan_values = isnan & ~nulls
            splits = self.split_arrays[k]
            buckets, out_of_range = bm.bucket_indices(splits, np.where(isnan, splits[0], x))
            bad = out_of_range | nan_values if self.mode == "error" else out_of_range
            if bad.any():
                # Spark fails at the first bad row it meets; report that row whatever its column.
                row = int(np.argmax(bad))
                if first_bad is None or row < first_bad[0]:
                    err = self._nan_error(k, row) if nan_values[row] else self._out_of_range(float(x[row]), k, row)
                    first_bad = (row, err)
            buckets[nan_values] = len(splits) - 1
            results.append((buckets, nulls))
        if first_bad is not None:
            raise first_bad[1]
        for name, (buckets, nulls) in zip(self.outputs, results, strict=True):
            if nulls.any():
                frame.set(name, [None if null else b for b, null in zip(buckets.tolist(), nulls.tolist(), strict=True)])
            else:
                frame.set(name, buckets)

    def transform_row(self, row: dict[str, Any]) -> None:
        values = [row_nullable_double(self, row, c) for c in self.inputs]
        if self.mode == "skip":
            for k, v in enumerate(values):
                if v is None or v != v:
                    raise RowFiltered(self.name, self.inputs[k])
        out: list[float | None] = []
        for k, v in enumerate(values):
            if v is None:
                out.append(None)
            elif v != v:
                if self.mode == "error":
                    raise self._nan_error(k, None)
                out.append(float(len(self.splits[k]) - 1))
            else:
                bucket = bm.bucket_index(self.splits[k], v)
                if bucket is None:
                    raise self._out_of_range(v, k, None)
                out.append(float(bucket))
        for name, value in zip(self.outputs, out, strict=True):
            row[name] = value


@register("org.apache.spark.ml.feature.Binarizer")
class Binarizer(Stage):
    """``Binarizer``: 1.0 above the threshold, else 0.0, for double or vector columns.

    A null or NaN double gives 0.0. Vectors come out ``compressed``; with a negative
    threshold Spark starts from all ones, so zeros and NaN entries give 1.0.
    """

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        if user_set(self, "inputCols"):
            self.inputs = [str(c) for c in meta.require("inputCols")]
            self.outputs = [str(c) for c in meta.require("outputCols")]
            if user_set(self, "thresholds"):
                self.thresholds = [decode_double(t) for t in meta.require("thresholds")]
            else:
                self.thresholds = [meta.double("threshold", 0.0)] * len(self.inputs)
        else:
            self.inputs = [str(meta.require("inputCol"))]
            self.outputs = [str(meta.require("outputCol"))]
            self.thresholds = [meta.double("threshold", 0.0)]
        if not (len(self.inputs) == len(self.outputs) == len(self.thresholds)):
            raise ModelLoadError(
                f"{meta.class_name} (uid {meta.uid}): inputCols, outputCols and thresholds differ in length"
            )
        self.byte_sizes = meta.spark_at_least(4, 1)  # Spark 4.1 changed `compressed`

    def input_fields(self) -> list[Field]:
        # A column may hold doubles or vectors; Spark decides by the column's type.
        return [Field(c, "double") for c in self.inputs]

    def output_fields(self) -> list[Field]:
        return [Field(c, "double", nullable=False) for c in self.outputs]

    @staticmethod
    def _holds_vectors(col: Any) -> bool:
        if isinstance(col, VectorColumn):
            return True
        if isinstance(col, np.ndarray):
            return col.ndim == 2
        first = next((v for v in col if v is not None), None)
        return isinstance(first, (list, tuple, dict, np.ndarray, SparseVector))

    def transform_batch(self, frame: Frame) -> None:
        outputs: list[Any] = []
        for name, td in zip(self.inputs, self.thresholds, strict=True):
            if self._holds_vectors(frame.raw(name, self.name)):
                outputs.append(self._binarize_vectors(frame.vectors(name, self.name), td))
            else:
                x, _ = nullable_doubles(self, frame, name)
                outputs.append(bm.binarize_scalars(x, td))
        for name, out in zip(self.outputs, outputs, strict=True):
            frame.set(name, out)

    def _binarize_vectors(self, x: VectorColumn, td: float) -> VectorColumn:
        if td >= 0 and x.dense is None:
            indptr, indices, values = x.to_csr()
            keep = bm.binarize_sparse_values(values, td)
            running = np.concatenate(([0], np.cumsum(keep)))
            new_indptr = running[indptr]
            counts = np.diff(new_indptr)
            flags = sparse_is_smaller(counts, x.size, byte_sizes=self.byte_sizes)
            csr = (new_indptr.astype(np.int64), indices[keep], np.ones(int(keep.sum())))
            return VectorColumn(x.size, csr=csr, sparse_rows=flags)
        out = bm.binarize_dense(x.to_dense(), td)
        flags = sparse_is_smaller(np.count_nonzero(out, axis=1), x.size, byte_sizes=self.byte_sizes)
        return VectorColumn(x.size, dense=out, sparse_rows=flags)

    def _binarize_vector(self, v: Vector, td: float) -> Vector:
        if td >= 0 and isinstance(v, SparseVector):
            keep = bm.binarize_sparse_values(v.values, td)
            ones = SparseVector(v.size, v.indices[keep], np.ones(int(keep.sum())))
            return compressed(ones, byte_sizes=self.byte_sizes)
        return compressed(bm.binarize_dense(to_dense(v), td), byte_sizes=self.byte_sizes)

    def transform_row(self, row: dict[str, Any]) -> None:
        out: list[Any] = []
        for name, td in zip(self.inputs, self.thresholds, strict=True):
            v = row.get(name)
            if isinstance(v, (list, tuple, dict, np.ndarray, SparseVector)):
                out.append(self._binarize_vector(row_vector(self, row, name), td))
            else:
                x = row_nullable_double(self, row, name)
                out.append(1.0 if x is not None and x > td else 0.0)
        for name, value in zip(self.outputs, out, strict=True):
            row[name] = value
