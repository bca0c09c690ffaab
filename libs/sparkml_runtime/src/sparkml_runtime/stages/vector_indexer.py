"""VectorIndexerModel: re-code the categorical features of a vector column."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError, RowFiltered, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import read_rows
from ..io.metadata import StageMetadata
from ..math.vector_indexer import CategoryMap
from ..vectors import SparseVector, VectorColumn
from .base import Stage, register, row_vector

_MODES = ("error", "skip", "keep")


def _as_dict(saved: Any) -> dict[Any, Any]:
    """A parquet map read by pyarrow (a list of (key, value) pairs) as a dict."""
    return dict(saved) if not isinstance(saved, dict) else saved


@register("org.apache.spark.ml.feature.VectorIndexerModel")
class VectorIndexerModel(Stage):
    """``VectorIndexerModel``: each categorical feature's value becomes its category index.

    Dense vectors map every categorical feature; sparse vectors map only their stored
    entries (Spark relies on 0.0 mapping to 0). Output keeps the input's dense/sparse form.
    handleInvalid: 'error' raises on a value the map lacks, 'keep' gives it the map's size,
    'skip' drops the row.
    """

    handle_invalid_modes = _MODES

    def __init__(self, meta: StageMetadata, num_features: int, category_maps: dict[int, dict[float, int]]) -> None:
        super().__init__(meta)
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.handle_invalid = str(meta.get("handleInvalid", "error"))
        if self.handle_invalid not in _MODES:
            raise UnsupportedStageError(meta.class_name, meta.uid, f"handleInvalid {self.handle_invalid!r}")
        self.num_features = num_features
        self.maps = {int(f): CategoryMap(m) for f, m in sorted(category_maps.items())}
        self._row_maps = [(f, m.table, float(m.size)) for f, m in self.maps.items()]

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        rows = read_rows(meta.path)
        if not rows or "categoryMaps" not in rows[0]:
            raise ModelLoadError(f"{meta.path}/data has no categoryMaps")
        maps = {
            int(f): {float(k): int(v) for k, v in _as_dict(m).items()}
            for f, m in _as_dict(rows[0]["categoryMaps"]).items()
        }
        return cls(meta, int(rows[0]["numFeatures"]), maps)

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _size_error(self, size: int, row: int | None) -> Exception:
        return self.invalid(
            f"vector of size {size}; this indexer was fitted on vectors of size {self.num_features}",
            column=self.input_col,
            row=row,
        )

    def _value_error(self, value: float, feature: int, row: int | None) -> Exception:
        return self.invalid(
            f"value {value!r} of categorical feature {feature} was not seen in training; "
            "set handleInvalid to 'keep' or 'skip' to index or drop such rows",
            column=self.input_col,
            row=row,
        )

    # --- row path ---------------------------------------------------------------------------
    def _map(self, feature: int, value: float, table: dict[float, float], size: float) -> float | None:
        code = table.get(value) if value == value else None
        if code is not None:
            return code
        if self.handle_invalid == "keep":
            return size
        if self.handle_invalid == "skip":
            return None
        raise self._value_error(value, feature, None)

    def transform_row(self, row: dict[str, Any]) -> None:
        v = row_vector(self, row, self.input_col)
        if isinstance(v, SparseVector):
            if v.size != self.num_features:
                raise self._size_error(v.size, None)
            values = v.values.astype(np.float64, copy=True)
            position = {int(f): k for k, f in enumerate(v.indices.tolist())}
            for f, table, size in self._row_maps:
                k = position.get(f)
                if k is not None:
                    code = self._map(f, float(values[k]), table, size)
                    if code is None:
                        raise RowFiltered(self.name, self.input_col)
                    values[k] = code
            row[self.output_col] = SparseVector(v.size, v.indices, values)
            return
        if v.shape[0] != self.num_features:
            raise self._size_error(v.shape[0], None)
        out = v.astype(np.float64, copy=True)
        for f, table, size in self._row_maps:
            code = self._map(f, float(out[f]), table, size)
            if code is None:
                raise RowFiltered(self.name, self.input_col)
            out[f] = code
        row[self.output_col] = out

    # --- columnar path ----------------------------------------------------------------------
    def transform_batch(self, frame: Frame) -> None:
        col = frame.vectors(self.input_col, self.name)
        n = len(col)
        if n and col.size != self.num_features:
            raise self._size_error(col.size, 0)
        invalid_rows = np.zeros(n, dtype=bool)
        first_bad: tuple[int, int, float] | None = None
        if col.is_dense:
            out = col.to_dense().copy()
            shown_sparse = col.sparse_rows
            for f, cmap in self.maps.items():
                raw = out[:, f]
                mapped, missing = cmap.apply(raw)
                # A row Spark holds as sparse maps only stored entries; its zeros stay 0.
                missing &= ~(shown_sparse & (raw == 0.0))
                mapped = np.where(shown_sparse & (raw == 0.0), 0.0, mapped)
                first_bad = self._note_invalid(missing, raw, f, mapped, cmap.size, invalid_rows, first_bad, lambda r: r)
                out[:, f] = mapped
            result = VectorColumn(col.size, dense=out, sparse_rows=col.sparse_rows)
        else:
            indptr, indices, values = col.to_csr()
            values = values.copy()
            row_of = np.repeat(np.arange(n), np.diff(indptr))
            for f, cmap in self.maps.items():
                at = np.flatnonzero(indices == f)
                if at.size == 0:
                    continue
                raw = values[at]
                mapped, missing = cmap.apply(raw)
                first_bad = self._note_invalid(
                    missing, raw, f, mapped, cmap.size, invalid_rows, first_bad, lambda k, at=at: int(row_of[at[k]])
                )
                values[at] = mapped
            result = VectorColumn(col.size, csr=(indptr, indices, values), sparse_rows=col.sparse_rows)
        if first_bad is not None:
            r, f, value = first_bad
            raise self._value_error(value, f, r)
        frame.set(self.output_col, result)
        if invalid_rows.any():
            frame.keep(~invalid_rows)

    def _note_invalid(
        self,
        missing: np.ndarray,
        raw: np.ndarray,
        feature: int,
        mapped: np.ndarray,
        size: int,
        invalid_rows: np.ndarray,
        first_bad: tuple[int, int, float] | None,
        row_of: Any,
    ) -> tuple[int, int, float] | None:
        """Apply handleInvalid to the missing values of one feature (``mapped`` is edited in place)."""
        if not missing.any():
            return first_bad
        if self.handle_invalid == "keep":
            mapped[missing] = float(size)
            return first_bad
        where = np.flatnonzero(missing)
        rows = np.array([row_of(int(k)) for k in where], dtype=np.int64)
        if self.handle_invalid == "skip":
            invalid_rows[rows] = True
            return first_bad
        r = int(rows.min())
        k = int(where[int(np.argmin(rows))])
        if first_bad is None or r < first_bad[0] or (r == first_bad[0] and feature < first_bad[1]):
            return (r, feature, float(raw[k]))
        return first_bad
