"""A batch of rows held as columns while a pipeline runs, with typed accessors.

Input columns arrive as plain Python sequences; stages ask for them in the type they need
(``doubles``, ``strings``, ``vectors``...), which coerces once, caches the typed column and
raises :class:`InvalidInputError` naming the column and row of a bad value. Stage outputs
are numpy arrays, lists, or :class:`VectorColumn`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInputError
from .vectors import SparseVector, VectorColumn, vector_to_json


@dataclass(frozen=True)
class Field:
    """A column of a model's contract: name, type, whether null is accepted and whether it
    must be there at all.

    Types are Spark SQL names: ``double``, ``string``, ``array<string>``, ``vector``,
    or ``numeric`` (any number, or a string for stages that index labels); FeatureHasher's
    inputs are ``categorical`` (a column of its ``categoricalCols``: a number, string or boolean,
    hashed as ``column=value``) or ``real_or_categorical`` (a number is a real feature, a
    string or boolean a categorical one, as Spark decides from the column's SQL type).
    ``required=False`` on an input: the column may be left out (e.g. a label that a
    StringIndexer indexes, which Spark skips when absent, as at serving time); on an output:
    the column is added only when its optional input is given.
    """

    name: str
    type: str
    nullable: bool = True
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for manifests and the HTTP API."""
        return {"name": self.name, "type": self.type, "nullable": self.nullable, "required": self.required}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


class Frame:
    """Columns of ``n`` rows; ``row_ids`` maps current positions to the caller's rows."""

    def __init__(self, columns: Mapping[str, Any], n: int, row_ids: np.ndarray | None = None) -> None:
        self.columns: dict[str, Any] = dict(columns)
        self.n = n
        self.row_ids = np.arange(n) if row_ids is None else row_ids

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], only: Collection[str] | None = None) -> Frame:
        """Transpose rows into columns; a key missing in some rows becomes None there.

        ``only``: transpose just these keys (a key no row has is left out, as it would be
        without ``only``); the other keys of the rows are never touched.
        """
        if only is not None:
            columns: dict[str, list[Any]] = {}
            for k in only:
                col = [r.get(k) for r in rows]
                # None marks a missing key or a null: only then look for the key itself.
                # (Identity tests: ``None in col`` would compare numpy arrays with ==.)
                if not any(v is None for v in col) or any(k in r for r in rows):
                    columns[k] = col
            return cls(columns, len(rows))
        names: dict[str, None] = {}
        for r in rows:
            for k in r:
                names.setdefault(k, None)
        return cls({k: [r.get(k) for r in rows] for k in names}, len(rows))

    # --- raw access -------------------------------------------------------------------------
    def raw(self, name: str, stage: str | None = None) -> Any:
        """The column as stored; raises InvalidInputError when it is absent."""
        try:
            return self.columns[name]
        except KeyError:
            raise InvalidInputError("missing input column", column=name, stage=stage) from None

    def set(self, name: str, column: Any) -> None:
        """Add or replace a column."""
        self.columns[name] = column

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where ``mask`` is False (handleInvalid='skip')."""
        if mask.all():
            return
        idx = np.flatnonzero(mask)
        for name, col in self.columns.items():
            if isinstance(col, (np.ndarray, VectorColumn)):
                self.columns[name] = col[idx] if isinstance(col, np.ndarray) else col.take(idx)
            else:
                self.columns[name] = [col[i] for i in idx]
        self.row_ids = self.row_ids[idx]
        self.n = len(idx)

    # --- typed access -----------------------------------------------------------------------
    def doubles(self, name: str, stage: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """The column as float64 plus a null mask (None when no value is null)."""
        col = self.raw(name, stage)
        if isinstance(col, np.ndarray) and col.dtype.kind in "fiub":
            return col.astype(np.float64, copy=False), None
        nulls = np.fromiter((v is None for v in col), dtype=bool, count=len(col))
        out = np.empty(len(col))
        for i, v in enumerate(col):
            if v is None:
                out[i] = np.nan
            elif _is_number(v) or isinstance(v, bool):
                out[i] = float(v)
            else:
                raise InvalidInputError(
                    f"expected a number, got {type(v).__name__} {v!r}", column=name, stage=stage, row=i
                )
        return out, (nulls if nulls.any() else None)

    def doubles_no_null(self, name: str, stage: str | None = None) -> np.ndarray:
        """The column as float64; a null raises InvalidInputError naming the row."""
        values, nulls = self.doubles(name, stage)
        if nulls is not None:
            raise InvalidInputError("null value", column=name, stage=stage, row=int(np.argmax(nulls)))
        return values

    def strings(self, name: str, stage: str | None = None) -> list[str | None]:
        """The column as strings (None kept); a non-string raises InvalidInputError."""
        col = self.raw(name, stage)
        for i, v in enumerate(col):
            if v is not None and not isinstance(v, str):
                raise InvalidInputError(
                    f"expected a string, got {type(v).__name__} {v!r}", column=name, stage=stage, row=i
                )
        return list(col)

    def string_lists(self, name: str, stage: str | None = None) -> list[list[str] | None]:
        """The column as lists of strings (None kept)."""
        col = self.raw(name, stage)
        for i, v in enumerate(col):
            if v is not None and (not isinstance(v, (list, tuple)) or not all(isinstance(s, str) for s in v)):
                raise InvalidInputError("expected a list of strings", column=name, stage=stage, row=i)
        return list(col)

    def vectors(self, name: str, stage: str | None = None) -> VectorColumn:
        """The column as a VectorColumn (parsing lists and sparse dicts once, then cached)."""
        col = self.raw(name, stage)
        if isinstance(col, VectorColumn):
            return col
        for i, v in enumerate(col):
            if v is None:
                raise InvalidInputError("null vector", column=name, stage=stage, row=i)
        try:
            parsed = VectorColumn.from_values(col, column=name)
        except InvalidInputError as exc:
            raise exc.at(stage=stage) from None
        self.columns[name] = parsed
        return parsed

    # --- output -----------------------------------------------------------------------------
    def value(self, name: str, i: int) -> Any:
        """Row ``i`` of a column in its internal form (vectors as ndarray/SparseVector)."""
        col = self.columns[name]
        if isinstance(col, VectorColumn):
            return col.row(i)
        return col[i]

    def json_column(self, name: str) -> list[Any]:
        """A column as JSON-ready Python values."""
        col = self.columns[name]
        if isinstance(col, VectorColumn):
            return col.to_json()
        if isinstance(col, np.ndarray) and col.dtype.kind in "fiub":
            return col.tolist()
        plain = JSON_PLAIN_TYPES
        return [v if type(v) in plain else to_json_value(v) for v in col]


# Exact types that are already JSON-ready: checked with one set lookup on the one-row path.
JSON_PLAIN_TYPES = frozenset({str, float, int, bool, type(None)})


def to_json_value(v: Any) -> Any:
    """Convert an internal value (numpy scalar, vector, nested list) to plain JSON types."""
    t = type(v)
    if t in JSON_PLAIN_TYPES:
        return v
    if t is np.ndarray:
        return v.tolist()
    if t is list:
        # Token lists are the common case: plain items are kept without a recursive call.
        return [x if type(x) in JSON_PLAIN_TYPES else to_json_value(x) for x in v]
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, SparseVector):
        return vector_to_json(v)
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [to_json_value(x) for x in v]
    return v
