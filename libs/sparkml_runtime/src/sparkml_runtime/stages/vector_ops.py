"""Vector-to-vector stages: VectorSlicer, Normalizer, PolynomialExpansion, ElementwiseProduct,
DCT and Interaction."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..errors import InvalidInputError, ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..io.pipeline_context import output_columns, preceding_stages, producers
from ..math import scalers as sm
from ..math import vector_ops as vo
from ..vectors import SparseVector, Vector, VectorColumn, compressed, parse_vector, to_dense, vector_size
from .base import Stage, register, row_value, row_vector


class _VectorToVector(Stage):
    """Shared wiring of Spark's UnaryTransformer[Vector, Vector]: inputCol → outputCol, null raises."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.input_col = str(meta.require("inputCol"))
        self.output_col = str(meta.require("outputCol"))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def output_size(self, input_size: int) -> int:
        """Size of the output for inputs of ``input_size`` (used for empty batches)."""
        return input_size

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.input_col, self.name)
        if len(x) == 0:
            frame.set(self.output_col, VectorColumn.from_dense(np.zeros((0, self.output_size(0)))))
            return
        frame.set(self.output_col, self.transform_column(x))

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self.transform_vector(row_vector(self, row, self.input_col))

    def transform_column(self, x: VectorColumn) -> VectorColumn:
        """The output column for a non-empty input column."""
        raise NotImplementedError

    def transform_vector(self, v: Vector) -> Vector:
        """The output for one vector."""
        raise NotImplementedError


@register("org.apache.spark.ml.feature.VectorSlicer")
class VectorSlicer(_VectorToVector):
    """``VectorSlicer``: the entries at ``indices``, then those named by ``names``; dense rows stay
    dense, sparse rows give the selected non-zeros.

    Spark resolves ``names`` from the input column's ML attributes, which no saved model
    records. The runtime resolves them when a VectorAssembler earlier in the same pipeline
    writes the column from caller columns: Spark names a number or boolean column's entry
    after the column, so a name is that column's position, provided every column up to it is
    a number (checked on each row; a vector there shifts Spark's positions, so it is refused).
    """

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        names = [str(n) for n in meta.get("names") or []]
        by_name, self.scalar_columns = _positions_of_names(meta, self.input_col, names) if names else ([], [])
        # Spark's getSelectedFeatureIndices: indices first, then the names' indices.
        self.indices = np.asarray([int(i) for i in meta.get("indices") or []] + by_name, dtype=np.int64)
        self.names = names
        if self.indices.size == 0:
            raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): no indices selected")
        if (self.indices < 0).any() or len(set(self.indices.tolist())) != self.indices.size:
            raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): indices must be distinct and >= 0")
        self.max_index = int(self.indices.max())

    def input_fields(self) -> list[Field]:
        # The assembler's columns a name's position depends on are read to check they are numbers.
        return [*super().input_fields(), *(Field(c, "numeric", nullable=True) for c in self.scalar_columns)]

    def _check_scalar(self, column: str, value: Any, row: int | None) -> None:
        if isinstance(value, (list, tuple, dict, SparseVector, np.ndarray)):
            raise self.invalid(
                f"this VectorSlicer selects {self.names} by name, which Spark resolves to positions only "
                f"while {column!r} is a number (a vector column's entries are named '{column}_0', ...); "
                "send a number, or select with 'indices'",
                column=column,
                row=row,
            )

    def transform_batch(self, frame: Frame) -> None:
        for c in self.scalar_columns:
            values = frame.raw(c, self.name)
            if isinstance(values, VectorColumn):
                self._check_scalar(c, [], 0)
            if isinstance(values, list):
                for i, v in enumerate(values):
                    self._check_scalar(c, v, i)
        super().transform_batch(frame)

    def transform_row(self, row: dict[str, Any]) -> None:
        for c in self.scalar_columns:
            self._check_scalar(c, row_value(self, row, c), None)
        super().transform_row(row)

    def output_size(self, input_size: int) -> int:
        return int(self.indices.size)

    def _too_short(self, size: int, row: int | None) -> InvalidInputError:
        return self.invalid(
            f"selected feature index {self.max_index} is invalid for a vector of size {size}",
            column=self.input_col,
            row=row,
        )

    def transform_column(self, x: VectorColumn) -> VectorColumn:
        if self.max_index >= x.size:
            raise self._too_short(x.size, 0)
        if x.dense is not None:
            return VectorColumn(self.indices.size, dense=x.dense[:, self.indices], sparse_rows=x.sparse_rows)
        # Sparse storage: map each stored index to its output position without densifying.
        position = np.full(x.size, -1, dtype=np.int64)
        position[self.indices] = np.arange(self.indices.size)
        indptr, indices, values = x.to_csr()
        rows = np.repeat(np.arange(len(x)), np.diff(indptr))
        pos = position[indices]
        keep = (pos >= 0) & (values != 0)
        rows, pos, values = rows[keep], pos[keep], values[keep]
        order = np.lexsort((pos, rows))
        new_indptr = np.zeros(len(x) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(x)), out=new_indptr[1:])
        return VectorColumn(self.indices.size, csr=(new_indptr, pos[order], values[order]), sparse_rows=x.sparse_rows)

    def transform_vector(self, v: Vector) -> Vector:
        if self.max_index >= vector_size(v):
            raise self._too_short(vector_size(v), None)
        if not isinstance(v, SparseVector):
            return v[self.indices]
        j = np.searchsorted(v.indices, self.indices)
        j_safe = np.minimum(j, max(v.indices.size - 1, 0))
        found = (j < v.indices.size) & (v.indices[j_safe] == self.indices) if v.indices.size else np.zeros(0, bool)
        selected = np.where(found, v.values[j_safe], 0.0) if v.indices.size else np.zeros(self.indices.size)
        idx, vals = vo.sparse_slice(self.indices.size, selected)
        return SparseVector(self.indices.size, idx, vals)


def _positions_of_names(meta: StageMetadata, input_col: str, names: list[str]) -> tuple[list[int], list[str]]:
    """The positions of ``names`` in ``input_col`` as Spark's attributes would give them, and the
    caller columns that must be numbers for them to hold; UnsupportedStageError when unknowable."""

    def refuse(why: str) -> UnsupportedStageError:
        return UnsupportedStageError(
            meta.class_name, meta.uid, f"selecting features by names {names}: {why}; select them with 'indices' instead"
        )

    assembler = producers(meta).get(input_col)
    if assembler is None or assembler.short_class != "VectorAssembler":
        raise refuse(
            f"the names come from the ML attributes of {input_col!r}, which the runtime knows only when a "
            "VectorAssembler earlier in the same pipeline writes it"
        )
    inputs = [str(c) for c in assembler.require("inputCols")]
    missing = [n for n in names if n not in inputs]
    if missing:
        raise refuse(f"{missing} are not columns of the VectorAssembler ({inputs}), so they would name vector entries")
    positions = [inputs.index(n) for n in names]
    upto = inputs[: max(positions) + 1]
    written = producers(assembler)
    produced = [c for c in upto if c in written]
    if produced:
        raise refuse(f"{produced} are written by earlier stages, whose ML attributes the runtime does not rebuild")
    # Spark's name lookup keeps the last attribute of a name: a later vector column "c" names its entries "c_0", ...
    clash = [n for n in names for c in inputs[len(upto) :] if n.startswith(f"{c}_") or n == c]
    if clash:
        raise refuse(f"{clash} could also name entries of later vector columns")
    return positions, upto


@register("org.apache.spark.ml.feature.Normalizer")
class Normalizer(_VectorToVector):
    """``Normalizer``: divide by the p-norm (p >= 1, inf allowed); a zero-norm vector is returned unchanged."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.p = meta.double("p", 2.0)
        if not self.p >= 1.0:
            raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): p must be >= 1, got {self.p}")

    def transform_column(self, x: VectorColumn) -> VectorColumn:
        if x.dense is not None and not x.sparse_rows.any():
            norms = vo.p_norms_of_entries(np.repeat(np.arange(len(x)), x.size), x.dense.ravel(), len(x), self.p)
            safe = np.where(norms != 0, norms, 1.0)
            return VectorColumn(x.size, dense=x.dense / safe[:, None], sparse_rows=x.sparse_rows)
        indptr, rows, indices, values = sm.stored_entries(x)
        norms = vo.p_norms_of_entries(rows, values, len(x), self.p)
        safe = np.where(norms != 0, norms, 1.0)
        return VectorColumn(x.size, csr=(indptr, indices, values / safe[rows]), sparse_rows=x.sparse_rows)

    def transform_vector(self, v: Vector) -> Vector:
        values = v.values if isinstance(v, SparseVector) else v
        norm = vo.p_norm(values, self.p)
        if norm == 0.0:
            return v
        if isinstance(v, SparseVector):
            return SparseVector(v.size, v.indices, v.values / norm)
        return v / norm


@register("org.apache.spark.ml.feature.PolynomialExpansion")
class PolynomialExpansion(_VectorToVector):
    """``PolynomialExpansion``: every monomial up to ``degree`` in Spark's term order (no constant)."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.degree = int(meta.get("degree", 2))
        if self.degree < 1:
            raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): degree must be >= 1, got {self.degree}")

    def output_size(self, input_size: int) -> int:
        return vo.poly_size(input_size, self.degree) - 1

    def transform_column(self, x: VectorColumn) -> VectorColumn:
        dense = x.to_dense()
        if x.dense is None:
            indptr, indices, _ = x.to_csr()
            active = np.zeros(dense.shape, dtype=bool)
            active[np.repeat(np.arange(len(x)), np.diff(indptr)), indices] = True
            active |= ~x.sparse_rows[:, None]
        elif x.sparse_rows.any():
            active = (dense != 0) | ~x.sparse_rows[:, None]
        else:
            active = None
        out = vo.poly_expand_rows(dense, self.degree, active)
        return VectorColumn(out.shape[1], dense=out, sparse_rows=x.sparse_rows)

    def transform_vector(self, v: Vector) -> Vector:
        if isinstance(v, SparseVector):
            size, idx, vals = vo.poly_expand_sparse(v.size, v.indices.tolist(), v.values.tolist(), self.degree)
            return SparseVector(size, np.array(idx, dtype=np.int64), np.array(vals, dtype=np.float64))
        return np.array(vo.poly_expand_dense(v.tolist(), self.degree))


def _vector_param(meta: StageMetadata, name: str) -> np.ndarray:
    raw = meta.require(name)
    try:
        struct = json.loads(raw) if isinstance(raw, str) else raw
        return to_dense(decode_vector(struct))
    except (KeyError, TypeError, ValueError, ModelLoadError) as exc:
        raise ModelLoadError(f"{meta.class_name} (uid {meta.uid}): unreadable vector param '{name}': {exc}") from None


@register("org.apache.spark.ml.feature.ElementwiseProduct")
class ElementwiseProduct(_VectorToVector):
    """``ElementwiseProduct``: multiply by ``scalingVec``; sparse inputs keep their indices."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.scaling = _vector_param(meta, "scalingVec")

    def output_size(self, input_size: int) -> int:
        return int(self.scaling.size)

    def _wrong_size(self, got: int, row: int | None) -> InvalidInputError:
        return self.invalid(
            f"vector of size {got}, scalingVec has size {self.scaling.size}", column=self.input_col, row=row
        )

    def transform_column(self, x: VectorColumn) -> VectorColumn:
        if x.size != self.scaling.size:
            raise self._wrong_size(x.size, 0)
        return sm.scale_column(x, self.scaling)

    def transform_vector(self, v: Vector) -> Vector:
        if vector_size(v) != self.scaling.size:
            raise self._wrong_size(vector_size(v), None)
        return sm.scale_vector(v, self.scaling)


@register("org.apache.spark.ml.feature.DCT")
class DCT(_VectorToVector):
    """``DCT``: orthonormal DCT-II (DCT-III when ``inverse``) of each vector; output dense."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.inverse = bool(meta.get("inverse", False))

    def transform_column(self, x: VectorColumn) -> VectorColumn:
        return VectorColumn.from_dense(vo.dct_rows(x.to_dense(), self.inverse))

    def transform_vector(self, v: Vector) -> Vector:
        return vo.dct_rows(to_dense(v)[None, :], self.inverse)[0]


# --- Interaction ---------------------------------------------------------------------------------

# Stages whose output attributes may be nominal in ways the runtime does not reconstruct.
_OPAQUE_ATTRIBUTE_SOURCES = {
    "VectorIndexerModel",
    "VectorSlicer",
    "ChiSqSelectorModel",
    "UnivariateFeatureSelectorModel",
    "VarianceThresholdSelectorModel",
    "RFormulaModel",
}


def _nominal_width(producer: StageMetadata, column: str) -> int:
    """Number of values of the nominal attribute a StringIndexerModel or Bucketizer puts on ``column``."""
    outputs = producer.get("outputCols") if "outputCols" in (producer.raw.get("paramMap") or {}) else None
    k = outputs.index(column) if outputs else 0
    if producer.short_class == "Bucketizer":
        splits = producer.get("splitsArray")[k] if outputs else producer.get("splits")
        return max(1, len(splits) - 1)
    row = read_rows(producer.path)[0]
    labels = row["labelsArray"][k] if "labelsArray" in row else row["labels"]
    extra = 1 if producer.get("handleInvalid", "error") == "keep" else 0
    return max(1, len(labels) + extra)


def _widths(meta: StageMetadata, column: str, before: list[StageMetadata]) -> vo.Widths:
    """Per-feature one-hot widths Spark's Interaction reads from ``column``'s ML attributes.

    None means every feature is numeric (one output each). Nominal widths come from the
    StringIndexerModel or Bucketizer that wrote the column, through VectorAssemblers.
    """
    at = next((i for i in range(len(before) - 1, -1, -1) if column in output_columns(before[i])), None)
    if at is None:
        return None
    producer = before[at]
    kind = producer.short_class
    if kind in ("StringIndexerModel", "Bucketizer"):
        return [_nominal_width(producer, column)]
    if kind in _OPAQUE_ATTRIBUTE_SOURCES:
        raise UnsupportedStageError(
            meta.class_name,
            meta.uid,
            f"input '{column}' comes from {kind}, whose ML attributes (which decide Interaction's one-hot "
            "encoding) the runtime does not reconstruct",
        )
    if kind != "VectorAssembler":
        return None
    upstream = before[:at]
    parts = [(c, _widths(meta, c, upstream)) for c in producer.get("inputCols") or []]
    if all(w is None for _, w in parts):
        return None
    widths: list[int] = []
    for c, w in parts:
        if w is None and any(c in output_columns(m) for m in upstream):
            raise UnsupportedStageError(
                meta.class_name,
                meta.uid,
                f"input '{column}' assembles nominal features with '{c}', whose vector size is not known at load",
            )
        widths.extend(w if w is not None else [1])  # a raw input beside nominal ones must be a number
    return widths


@register("org.apache.spark.ml.feature.Interaction")
class Interaction(Stage):
    """``Interaction``: the products of one value from each input, numeric or one-hot encoded.

    Which inputs Spark one-hot encodes depends on ML attributes set by earlier stages; the
    runtime rebuilds them from the StringIndexer/Bucketizer/VectorAssembler stages before it
    in the saved pipeline and refuses (at load) inputs whose attributes it cannot rebuild.
    """

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        self.inputs = [str(c) for c in meta.require("inputCols")]
        self.output_col = str(meta.require("outputCol"))
        before = preceding_stages(meta)
        self.widths = [_widths(meta, c, before) for c in self.inputs]
        self.byte_sizes = meta.spark_at_least(4, 1)  # Spark 4.1 changed `compressed`

    def input_fields(self) -> list[Field]:
        return [
            Field(c, "numeric" if w is None or len(w) == 1 else "vector", nullable=False)
            for c, w in zip(self.inputs, self.widths, strict=True)
        ]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _encode(self, value: Any, k: int, row: int | None) -> tuple[int, vo.NonZeros]:
        name = self.inputs[k]

        def fail(message: str) -> InvalidInputError:
            return self.invalid(message, column=name, row=row)

        if value is None:
            raise fail("null value; Interaction cannot interact nulls")
        if isinstance(value, (bool, int, float, np.integer, np.floating)):
            return vo.encoder_outputs(float(value), self.widths[k], fail)
        try:
            v = parse_vector(value, column=name)
        except InvalidInputError as exc:
            raise exc.at(stage=self.name, row=row) from None
        # Spark walks the *active* entries: every position of a dense vector, the stored ones of
        # a sparse vector (so an unstored nominal 0 emits nothing, a dense one emits category 0).
        if isinstance(v, SparseVector):
            encoded = (v.size, v.indices.tolist(), v.values.tolist())
        else:
            encoded = (int(v.shape[0]), list(range(v.shape[0])), v.tolist())
        return vo.encoder_outputs(encoded, self.widths[k], fail)

    def _interact(self, values: list[Any], row: int | None) -> Vector:
        size, idx, vals = vo.interact([self._encode(v, k, row) for k, v in enumerate(values)])
        product = SparseVector(size, np.array(idx, dtype=np.int64), np.array(vals, dtype=np.float64))
        return compressed(product, byte_sizes=self.byte_sizes)

    def transform_row(self, row: dict[str, Any]) -> None:
        row[self.output_col] = self._interact([row_value(self, row, c) for c in self.inputs], None)

    def transform_batch(self, frame: Frame) -> None:
        cols = [frame.raw(c, self.name) for c in self.inputs]
        as_rows = [[col.row(i) if isinstance(col, VectorColumn) else col[i] for col in cols] for i in range(frame.n)]
        out = [self._interact(values, i) for i, values in enumerate(as_rows)]
        if not out:
            frame.set(self.output_col, VectorColumn.from_dense(np.zeros((0, 0))))
            return
        column = VectorColumn.from_values(out, column=self.output_col)
        column.sparse_rows = np.array([isinstance(v, SparseVector) for v in out])
        frame.set(self.output_col, column)


__all__ = ["DCT", "ElementwiseProduct", "Interaction", "Normalizer", "PolynomialExpansion", "VectorSlicer"]
