"""OneHotEncoderModel: category indices to sparse one-hot vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.one_hot import encoded_sizes, hot_positions
from ..vectors import SparseVector, VectorColumn
from .base import Stage, register, row_value
from .in_out_columns import in_out_columns
from .numeric_input import nullable_doubles

_MODES = ("error", "keep")
# Per-column cache of the one-hot vectors handed out by the row path, up to this size.
_CACHED_SIZE_MAX = 4096
_EMPTY_INDICES = np.zeros(0, dtype=np.int64)
_EMPTY_VALUES = np.zeros(0)
_EMPTY_INDICES.flags.writeable = False
_EMPTY_VALUES.flags.writeable = False


def _one_hot(size: int, position: int) -> SparseVector:
    """A read-only sparse vector with 1.0 at ``position`` (or empty when the slot was dropped)."""
    if position >= size:
        return SparseVector(size, _EMPTY_INDICES, _EMPTY_VALUES)
    idx = np.array([position], dtype=np.int64)
    val = np.ones(1)
    idx.flags.writeable = False
    val.flags.writeable = False
    return SparseVector(size, idx, val)


class _Column:
    """One encoded column: its names, sizes and (for small sizes) the vectors the row path returns."""

    __slots__ = ("src", "dst", "categories", "size", "cache")

    def __init__(self, src: str, dst: str, categories: int, size: int) -> None:
        self.src, self.dst, self.categories, self.size = src, dst, categories, size
        # Shared, read-only vectors: the row path hands out the same object for a category.
        self.cache = [_one_hot(size, p) for p in range(categories + 1)] if size <= _CACHED_SIZE_MAX else None

    def vector(self, position: int) -> SparseVector:
        return self.cache[position] if self.cache is not None else _one_hot(self.size, position)


@register("org.apache.spark.ml.feature.OneHotEncoderModel")
class OneHotEncoderModel(Stage):
    """``OneHotEncoderModel``: index v of a column with k categories → a sparse vector with 1.0 at int(v).

    dropLast drops the last slot (its category encodes as all zeros); handleInvalid 'keep'
    adds a slot for invalid values (NaN, negative, >= k), 'error' raises on them. A null
    input gives a null vector, as Spark's UDF does.
    """

    handle_invalid_modes = _MODES

    def __init__(self, meta: StageMetadata, category_sizes: list[int]) -> None:
        super().__init__(meta)
        inputs, outputs = in_out_columns(self)
        self.handle_invalid = str(meta.get("handleInvalid", "error"))
        if self.handle_invalid not in _MODES:
            raise UnsupportedStageError(meta.class_name, meta.uid, f"handleInvalid {self.handle_invalid!r}")
        if len(category_sizes) != len(inputs):
            raise ModelLoadError(f"{meta.path}: {len(category_sizes)} category sizes for {len(inputs)} input columns")
        self.keep_invalid = self.handle_invalid == "keep"
        self.drop_last = bool(meta.get("dropLast", True))
        sizes = encoded_sizes(category_sizes, drop_last=self.drop_last, keep_invalid=self.keep_invalid)
        self.columns = [_Column(s, d, k, n) for s, d, k, n in zip(inputs, outputs, category_sizes, sizes, strict=True)]

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        rows = read_rows(meta.path)
        if not rows or rows[0].get("categorySizes") is None:
            raise ModelLoadError(f"{meta.path}/data has no categorySizes")
        return cls(meta, [int(k) for k in rows[0]["categorySizes"]])

    def input_fields(self) -> list[Field]:
        return [Field(c.src, "double", nullable=True) for c in self.columns]

    def output_fields(self) -> list[Field]:
        return [Field(c.dst, "vector", nullable=True) for c in self.columns]

    def _invalid_message(self, value: float, categories: int) -> str:
        what = "negative value" if value < 0 else "unseen value"
        return (
            f"{what} {value!r}: this encoder knows categories 0..{categories - 1}; "
            "set handleInvalid to 'keep' to encode invalid values"
        )

    # --- row path ---------------------------------------------------------------------------
    def transform_row(self, row: dict[str, Any]) -> None:
        keep = self.keep_invalid
        for c in self.columns:
            try:
                v = row[c.src]
            except KeyError:
                v = row_value(self, row, c.src)  # raises the missing-column error
            if v is None:
                row[c.dst] = None
                continue
            if type(v) is not float:
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise self.invalid(f"expected a number or null, got {type(v).__name__} {v!r}", column=c.src)
                v = float(v)
            if 0.0 <= v < c.categories:
                cache = c.cache
                row[c.dst] = cache[int(v)] if cache is not None else _one_hot(c.size, int(v))
            elif keep:
                row[c.dst] = c.vector(c.categories)
            else:
                raise self.invalid(self._invalid_message(v, c.categories), column=c.src)

    # --- columnar path ----------------------------------------------------------------------
    def transform_batch(self, frame: Frame) -> None:
        encoded: list[tuple[str, Any]] = []
        first_bad: tuple[int, _Column, float] | None = None
        for c in self.columns:
            values, nulls = nullable_doubles(self, frame, c.src)
            pos, invalid = hot_positions(values, c.categories, keep_invalid=self.keep_invalid)
            if not self.keep_invalid:
                bad = invalid & ~nulls
                if bad.any():
                    r = int(np.argmax(bad))
                    if first_bad is None or r < first_bad[0]:
                        first_bad = (r, c, float(values[r]))
                    continue
            encoded.append((c.dst, self._column(c, pos, nulls)))
        if first_bad is not None:
            r, c, value = first_bad
            raise self.invalid(self._invalid_message(value, c.categories), column=c.src, row=r)
        for dst, col in encoded:
            frame.set(dst, col)

    def _column(self, c: _Column, pos: np.ndarray, nulls: np.ndarray) -> Any:
        hot = (pos < c.size) & ~nulls
        if nulls.any():
            # A VectorColumn holds no nulls: rows become vectors or None, as Spark shows them.
            return [None if nulls[r] else c.vector(int(pos[r])) for r in range(pos.shape[0])]
        indptr = np.zeros(pos.shape[0] + 1, dtype=np.int64)
        np.cumsum(hot, out=indptr[1:])
        return VectorColumn.from_csr(c.size, indptr, pos[hot].astype(np.int64), np.ones(int(hot.sum())))
