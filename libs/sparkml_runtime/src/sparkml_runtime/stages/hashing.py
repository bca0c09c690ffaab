"""Hashing stages: HashingTF and FeatureHasher."""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from ..errors import UnsupportedStageError
from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..math.hashing import hashed_feature_vectors, murmur3_index, term_count_vectors
from ..math.jvm_format import jdk17_double_to_string
from ..vectors import SparseVector, VectorColumn
from .base import Stage, register, row_value
from .numeric_input import user_set


@register("org.apache.spark.ml.feature.HashingTF")
class HashingTF(Stage):
    """``HashingTF``: term counts (or 1.0 when ``binary``) at murmur3-hashed indices."""

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        if meta.spark_major and meta.spark_major < 3:
            from ..errors import UnsupportedStageError

            raise UnsupportedStageError(meta.class_name, meta.uid, "models saved by Spark < 3.0 hash differently")
        self.input_col: str = meta.require("inputCol")
        self.output_col: str = meta.require("outputCol")
        self.num_features = int(meta.get("numFeatures", 1 << 18))
        self.binary = bool(meta.get("binary", False))

    def input_fields(self) -> list[Field]:
        return [Field(self.input_col, "array<string>", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _counts(self, terms: Any, row: int | None = None) -> dict[int, float]:
        if not isinstance(terms, (list, tuple)):
            raise self.invalid("expected a list of strings", column=self.input_col, row=row)
        counts: dict[int, float] = {}
        get = counts.get  # local names: this loop runs once per term on the one-row hot path
        n = self.num_features
        index = murmur3_index
        for t in terms:
            if type(t) is not str and not isinstance(t, str):
                raise self.invalid(f"expected a string term, got {type(t).__name__}", column=self.input_col, row=row)
            i = index(t, n)
            counts[i] = get(i, 0.0) + 1.0
        if self.binary:
            counts = dict.fromkeys(counts, 1.0)
        return counts

    def transform_row(self, row: dict[str, Any]) -> None:
        counts = self._counts(row_value(self, row, self.input_col))
        idx = sorted(counts)
        values = np.ones(len(idx)) if self.binary else np.array([counts[i] for i in idx])
        row[self.output_col] = SparseVector(self.num_features, np.array(idx, dtype=np.int64), values)

    def transform_batch(self, frame: Frame) -> None:
        col = frame.raw(self.input_col, self.name)
        n_rows = len(col)
        if not set(map(type, col)) <= {list, tuple}:
            for r, terms in enumerate(col):
                if not isinstance(terms, (list, tuple)):
                    raise self.invalid("expected a list of strings", column=self.input_col, row=r)
        lengths = np.fromiter(map(len, col), dtype=np.int64, count=n_rows)
        flat = list(chain.from_iterable(col))
        # Hash each distinct term once: a batch repeats a vocabulary far smaller than its tokens.
        try:
            distinct = list(set(flat))
        except TypeError:  # an unhashable term, e.g. a nested list
            distinct = []
            self._raise_bad_term(col)
        if not set(map(type, distinct)) <= {str}:
            self._raise_bad_term(col)
        n = self.num_features
        columns = np.fromiter((murmur3_index(t, n) for t in distinct), dtype=np.int64, count=len(distinct))
        rank_index, rank = np.unique(columns, return_inverse=True)
        rank_of = dict(zip(distinct, rank.tolist(), strict=True))
        ranks = np.fromiter(map(rank_of.__getitem__, flat), dtype=np.int64, count=len(flat))
        indptr, indices, values = term_count_vectors(lengths, ranks, rank_index)
        if self.binary:
            values = np.ones_like(values)
        frame.set(self.output_col, VectorColumn.from_csr(n, indptr, indices, values))

    def _raise_bad_term(self, col: Any) -> None:
        """Raise the error for the first row holding a term that is not a string."""
        for r, terms in enumerate(col):
            for t in terms:
                if not isinstance(t, str):
                    raise self.invalid(f"expected a string term, got {type(t).__name__}", column=self.input_col, row=r)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


@register("org.apache.spark.ml.feature.FeatureHasher")
class FeatureHasher(Stage):
    """``FeatureHasher``: numbers add their value at ``hash(column)``; strings, booleans and
    ``categoricalCols`` add 1.0 at ``hash("column=value")``; nulls add nothing.

    Spark decides real vs categorical from the column's SQL type; here the JSON type of each
    value decides (a number is real unless its column is in ``categoricalCols``). A
    categorical number prints as the JVM does: an int as ``1``, a float as ``1.0``, so send
    integer columns as JSON integers.
    """

    def __init__(self, meta: StageMetadata) -> None:
        super().__init__(meta)
        if meta.spark_major == 2 and meta.spark_version.startswith("2.3"):
            raise UnsupportedStageError(
                meta.class_name, meta.uid, "Spark 2.3 may hash with the pre-SPARK-23381 murmur3 variant"
            )
        self.inputs: list[str] = list(meta.require("inputCols"))
        self.output_col: str = meta.require("outputCol")
        self.num_features = int(meta.get("numFeatures", 1 << 18))
        # Spark reads categoricalCols only when the user set it.
        self.categorical = (
            frozenset(meta.get("categoricalCols") or []) if user_set(self, "categoricalCols") else frozenset()
        )
        n = self.num_features
        self.real_index = {c: murmur3_index(c, n) for c in self.inputs}
        # "col=value" -> index, filled as values are seen (categorical vocabularies are small).
        self._cat_cache: dict[str, int] = {}

    def input_fields(self) -> list[Field]:
        # Null adds nothing. A column of categoricalCols is hashed as "column=value" whatever
        # its type; any other column is a real feature when a number, categorical otherwise.
        return [
            Field(c, "categorical" if c in self.categorical else "real_or_categorical", nullable=True)
            for c in self.inputs
        ]

    def output_fields(self) -> list[Field]:
        return [Field(self.output_col, "vector", nullable=False)]

    def _categorical_index(self, column: str, value: Any) -> int:
        if isinstance(value, str):
            text = value
        elif isinstance(value, (bool, np.bool_)):
            text = "true" if value else "false"
        elif isinstance(value, (float, np.floating)):
            text = jdk17_double_to_string(float(value))
        else:
            text = str(int(value))
        key = f"{column}={text}"
        idx = self._cat_cache.get(key)
        if idx is None:
            idx = murmur3_index(key, self.num_features)
            if len(self._cat_cache) < 100_000:
                self._cat_cache[key] = idx
        return idx

    def _entry(self, column: str, value: Any, row: int | None) -> tuple[int, float]:
        """The (index, value) one input value adds."""
        if _is_number(value) and column not in self.categorical:
            return self.real_index[column], float(value)
        if isinstance(value, (str, bool, np.bool_)) or _is_number(value):
            return self._categorical_index(column, value), 1.0
        raise self.invalid(
            f"expected a number, string or boolean, got {type(value).__name__} {value!r}", column=column, row=row
        )

    def transform_row(self, row: dict[str, Any]) -> None:
        acc: dict[int, float] = {}
        for c in self.inputs:
            v = row_value(self, row, c)
            if v is None:
                continue
            idx, val = self._entry(c, v, None)
            # Spark's changeValue: the first value is stored as is, later ones are added in column order.
            acc[idx] = acc[idx] + val if idx in acc else val
        idx_sorted = sorted(acc)
        row[self.output_col] = SparseVector(
            self.num_features, np.array(idx_sorted, dtype=np.int64), np.array([acc[i] for i in idx_sorted])
        )

    def transform_batch(self, frame: Frame) -> None:
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for c in self.inputs:
            col = frame.raw(c, self.name)
            for r, v in enumerate(col):
                if v is None:
                    continue
                idx, val = self._entry(c, v, r)
                rows.append(r)
                cols.append(idx)
                vals.append(val)
        indptr, indices, values = hashed_feature_vectors(
            frame.n, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=np.float64)
        )
        frame.set(self.output_col, VectorColumn.from_csr(self.num_features, indptr, indices, values))
