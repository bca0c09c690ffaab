"""VectorAssembler, and VectorSizeHint which gives it vector sizes for handleInvalid='keep'."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidInputError, RowFiltered, UnsupportedStageError
from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..io.pipeline_context import producers
from ..math.assembler import assemble_entries, compressed_from_entries
from ..vectors import SparseVector, VectorColumn, parse_vector, vector_size
from .base import Stage, first_true, register

_VECTOR_TYPES = (list, tuple, dict, np.ndarray, SparseVector)
_NUMBER_TYPES = (int, float, bool, np.integer, np.floating, np.bool_)
# Dense vectors up to this size are scanned in Python on the one-row path.
_SMALL_DENSE = 64


def _mode(stage: Stage, modes: tuple[str, ...]) -> str:
    mode = str(stage.param("handleInvalid", "error"))
    if mode not in modes:
        raise UnsupportedStageError(stage.meta.class_name, stage.uid, f"handleInvalid={mode!r} is not one of {modes}")
    return mode


@register("org.apache.spark.ml.feature.VectorAssembler")
class VectorAssembler(Stage):
    """``VectorAssembler``: numbers, booleans and vectors concatenated into one ``compressed`` vector.

    handleInvalid: 'error' raises on a null or a NaN number (NaN inside a vector is kept);
    'skip' drops such rows; 'keep' assembles a null as NaN (as many as the column's vector
    size) and keeps NaN numbers. Spark reads a vector column's size under 'keep' from its ML
    attributes, set by a VectorSizeHint (or the stage that produced the column); the runtime
    reads the VectorSizeHint stages saved before this one in the same pipeline.
    """

    handle_invalid_modes = ("error", "skip", "keep")

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.inputs = [str(c) for c in meta.require("inputCols")]
        self.output_col = str(meta.require("outputCol"))
        self.mode = _mode(self, self.handle_invalid_modes)
        self.byte_sizes = meta.spark_at_least(4, 1)  # Spark 4.1 changed `compressed`
        written_by = producers(meta)
        # Vector sizes Spark would find in the column's attributes (VectorSizeHint sets them).
        self.hinted_sizes = {
            c: int(m.get("size"))
            for c, m in written_by.items()
            if m.short_class == "VectorSizeHint" and m.has("size") and c in self.inputs
        }
        # Columns an earlier stage writes: never null, and their attributes carry their size.
        self.produced = {c for c in self.inputs if c in written_by and c not in self.hinted_sizes}

    def input_fields(self) -> list[Field]:
        # A column is numeric or a vector; Spark decides by its type, the runtime by its values.
        return [Field(c, "vector" if c in self.hinted_sizes else "numeric") for c in self.inputs]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    # --- messages ----------------------------------------------------------------------------
    def _null_error(self, column: str, row: int | None) -> InvalidInputError:
        return self.invalid("null value with handleInvalid='error'; use 'keep' or 'skip'", column=column, row=row)

    def _nan_error(self, column: str, row: int | None) -> InvalidInputError:
        return self.invalid("NaN value with handleInvalid='error'; use 'keep' or 'skip'", column=column, row=row)

    def _unknown_size(self, column: str, row: int | None) -> InvalidInputError:
        return self.invalid(
            "handleInvalid='keep' needs this vector column's size and no VectorSizeHint before the "
            "VectorAssembler gives it (Spark refuses this too); add VectorSizeHint(inputCol, size)",
            column=column,
            row=row,
        )

    def _not_assemblable(self, value: Any, column: str, row: int | None) -> InvalidInputError:
        return self.invalid(
            f"expected a number, boolean or vector, got {type(value).__name__} {value!r}", column=column, row=row
        )

    # --- one row -----------------------------------------------------------------------------
    def transform_row(self, row: dict[str, Any]) -> None:
        indices: list[int] = []
        values: list[float] = []
        offset = 0
        mode = self.mode
        for c in self.inputs:
            try:
                v = row[c]
            except KeyError:
                raise self.invalid("missing input column", column=c) from None
            kind = type(v)
            if kind is not float and kind is not int and kind is not bool and isinstance(v, _NUMBER_TYPES):
                v = float(v)  # a numpy scalar follows the rules of a Python number
                kind = float
            if kind is float or kind is int or kind is bool:
                if v != v:  # NaN
                    if mode == "error":
                        raise self._nan_error(c, None)
                    if mode == "skip":
                        raise RowFiltered(self.name, c)
                    indices.append(offset)
                    values.append(math.nan)
                elif v:
                    indices.append(offset)
                    values.append(float(v))
                offset += 1
            elif v is None:
                if mode == "error":
                    raise self._null_error(c, None)
                if mode == "skip":
                    raise RowFiltered(self.name, c)
                width = self.hinted_sizes.get(c, 1)
                indices.extend(range(offset, offset + width))
                values.extend([math.nan] * width)
                offset += width
            elif isinstance(v, _VECTOR_TYPES):
                if mode == "keep" and c not in self.hinted_sizes and c not in self.produced:
                    raise self._unknown_size(c, None)
                vec = v if isinstance(v, (SparseVector, np.ndarray)) else self._parse(v, c, None)
                # Plain Python over a few entries beats a chain of tiny numpy calls per row.
                if isinstance(vec, SparseVector):
                    for j, x in zip(vec.indices.tolist(), vec.values.tolist(), strict=True):
                        if x != 0.0:
                            indices.append(offset + j)
                            values.append(x)
                    offset += vec.size
                elif vec.shape[0] <= _SMALL_DENSE:
                    for j, x in enumerate(vec.tolist()):
                        if x != 0.0:
                            indices.append(offset + j)
                            values.append(x)
                    offset += vec.shape[0]
                else:
                    nz_idx = np.flatnonzero(vec)
                    indices.extend((nz_idx + offset).tolist())
                    values.extend(vec[nz_idx].tolist())
                    offset += int(vec.shape[0])
            else:
                raise self._not_assemblable(v, c, None)
        row[self.output_col] = compressed_from_entries(offset, indices, values, self.byte_sizes)

    def _parse(self, value: Any, column: str, row: int | None) -> Any:
        try:
            return parse_vector(value, column=column)
        except InvalidInputError as exc:
            raise exc.at(stage=self.name, row=row) from None

    # --- columns -----------------------------------------------------------------------------
    def _is_vector_column(self, column: str, col: Any) -> bool:
        if isinstance(col, VectorColumn):
            return True
        if isinstance(col, np.ndarray):
            return col.ndim == 2
        first = next((v for v in col if v is not None), None)
        if first is None:
            return column in self.hinted_sizes
        return isinstance(first, _VECTOR_TYPES)

    def _scalars(self, column: str, col: Any) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(col, np.ndarray) and col.dtype.kind in "fiub":
            return col.astype(np.float64), np.zeros(len(col), dtype=bool)
        values = np.empty(len(col))
        nulls = np.zeros(len(col), dtype=bool)
        for i, v in enumerate(col):
            if v is None:
                nulls[i] = True
                values[i] = math.nan
            elif isinstance(v, _NUMBER_TYPES):
                values[i] = float(v)
            else:
                raise self._not_assemblable(v, column, i)
        return values, nulls

    def transform_batch(self, frame: Frame) -> None:
        cols = [frame.raw(c, self.name) for c in self.inputs]
        is_vector = [self._is_vector_column(c, col) for c, col in zip(self.inputs, cols, strict=True)]
        scalars: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        vector_nulls: dict[int, np.ndarray] = {}
        invalid = np.zeros(frame.n, dtype=bool)
        first: tuple[int, InvalidInputError] | None = None
        for k, (c, col) in enumerate(zip(self.inputs, cols, strict=True)):
            if is_vector[k]:
                nulls = (
                    np.zeros(frame.n, dtype=bool)
                    if isinstance(col, VectorColumn)
                    else np.array([v is None for v in col], dtype=bool)
                )
                vector_nulls[k] = nulls
                bad, nan = nulls, None
            else:
                x, nulls = self._scalars(c, col)
                scalars[k] = (x, nulls)
                nan = np.isnan(x) & ~nulls
                bad = nulls | nan
            invalid |= bad
            if self.mode == "error" and bad.any():
                row = first_true(bad)
                if first is None or row < first[0]:
                    err = self._nan_error(c, row) if nan is not None and nan[row] else self._null_error(c, row)
                    first = (row, err)
        if first is not None:
            raise first[1]
        keep_rows = np.flatnonzero(~invalid) if self.mode == "skip" else np.arange(frame.n)
        if self.mode == "skip" and invalid.any():
            frame.keep(~invalid)
        rows_parts: list[np.ndarray] = []
        cols_parts: list[np.ndarray] = []
        vals_parts: list[np.ndarray] = []
        offset = 0
        n = frame.n
        for k in range(len(self.inputs)):
            if not is_vector[k]:
                x = scalars[k][0][keep_rows]
                rows_parts.append(np.arange(n))
                cols_parts.append(np.full(n, offset))
                vals_parts.append(x)
                offset += 1
                continue
            offset = self._vector_entries(
                frame, k, keep_rows, vector_nulls[k], offset, (rows_parts, cols_parts, vals_parts)
            )
        if n == 0:
            frame.set(self.output_col, VectorColumn.from_dense(np.zeros((0, offset))))
            return
        empty = np.zeros(0)
        out = assemble_entries(
            n,
            offset,
            np.concatenate(rows_parts or [empty]).astype(np.int64),
            np.concatenate(cols_parts or [empty]).astype(np.int64),
            np.concatenate(vals_parts or [empty]).astype(np.float64),
            self.byte_sizes,
        )
        frame.set(self.output_col, out)

    def _vector_entries(
        self,
        frame: Frame,
        k: int,
        keep_rows: np.ndarray,
        nulls_before_skip: np.ndarray,
        offset: int,
        parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]],
    ) -> int:
        """Append one vector column's entries at ``offset``; returns the next offset."""
        c = self.inputs[k]
        nulls = nulls_before_skip[keep_rows]
        col = frame.raw(c, self.name)
        present = np.flatnonzero(~nulls)
        if self.mode == "keep" and present.size and c not in self.hinted_sizes and c not in self.produced:
            raise self._unknown_size(c, int(present[0]))
        if isinstance(col, VectorColumn):
            vectors = col
        else:
            values = [col[i] for i in present] if nulls.any() else col
            try:
                vectors = VectorColumn.from_values(values, column=c)
            except InvalidInputError as exc:
                row = present[exc.row] if exc.row is not None and exc.row < present.size else exc.row
                raise self.invalid(exc.message, column=c, row=None if row is None else int(row)) from None
        size = vectors.size if len(vectors) else self.hinted_sizes.get(c, 0)
        indptr, indices, values_ = vectors.to_csr()
        rows, cols, vals = parts
        rows.append(present[np.repeat(np.arange(len(vectors)), np.diff(indptr))])
        cols.append(indices + offset)
        vals.append(values_)
        if nulls.any():  # only reachable under 'keep': a null becomes NaN at each position
            width = self.hinted_sizes.get(c, size)
            null_rows = np.flatnonzero(nulls)
            rows.append(np.repeat(null_rows, width))
            cols.append(np.tile(np.arange(offset, offset + width), null_rows.size))
            vals.append(np.full(null_rows.size * width, math.nan))
            size = width
        return offset + size


@register("org.apache.spark.ml.feature.VectorSizeHint")
class VectorSizeHint(Stage):
    """``VectorSizeHint``: checks a vector column's size (it adds no column).

    'error' raises on a null or a vector of another size, 'skip' drops those rows,
    'optimistic' checks nothing. Its size also tells a later VectorAssembler how many NaN a
    null stands for under handleInvalid='keep'.
    """

    handle_invalid_modes = ("error", "skip", "optimistic")

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col = str(meta.require("inputCol"))
        self.size = int(meta.require("size"))
        self.mode = _mode(self, self.handle_invalid_modes)

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=self.mode != "error")]

    def output_fields(self) -> list[Field]:
        return []

    def _problem(self, value: Any, row: int | None) -> str | None:
        """Why a value fails the hint, or None when it passes."""
        if value is None:
            return "null vector with handleInvalid='error'; use 'skip' to drop such rows"
        if isinstance(value, VectorColumn):
            got = value.size
        elif isinstance(value, (SparseVector, np.ndarray)):
            got = vector_size(value)
        else:
            try:
                got = vector_size(parse_vector(value, column=self.input_col))
            except InvalidInputError as exc:
                raise exc.at(stage=self.name, row=row) from None
        if got != self.size:
            return f"expected a vector of size {self.size}, got size {got}"
        return None

    def transform_row(self, row: dict[str, Any]) -> None:
        if self.mode == "optimistic":
            return
        try:
            value = row[self.input_col]
        except KeyError:
            raise self.invalid("missing input column", column=self.input_col) from None
        problem = self._problem(value, None)
        if problem is not None:
            if self.mode == "skip":
                raise RowFiltered(self.name, self.input_col)
            raise self.invalid(problem, column=self.input_col)

    def transform_batch(self, frame: Frame) -> None:
        if self.mode == "optimistic":
            return
        col = frame.raw(self.input_col, self.name)
        if isinstance(col, VectorColumn):
            if len(col) and col.size != self.size:
                if self.mode == "skip":
                    frame.keep(np.zeros(frame.n, dtype=bool))
                    return
                raise self.invalid(
                    f"expected a vector of size {self.size}, got size {col.size}", column=self.input_col, row=0
                )
            return
        ok = np.ones(frame.n, dtype=bool)
        for i, value in enumerate(col):
            problem = self._problem(value, i)
            if problem is not None:
                if self.mode == "error":
                    raise self.invalid(problem, column=self.input_col, row=i)
                ok[i] = False
        frame.keep(ok)
