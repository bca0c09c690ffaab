"""The contract every stage implements, and the registry keyed by Spark class name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import numpy as np

from ..errors import InvalidInputError, RowFiltered
from ..frame import Field, Frame
from ..io.metadata import StageMetadata
from ..vectors import SparseVector, parse_vector

# Spark class name (e.g. "org.apache.spark.ml.feature.Tokenizer") -> stage class.
# An explicit dict filled by @register, not reflection: what is supported is what is listed.
REGISTRY: dict[str, type[Stage]] = {}

S = TypeVar("S", bound="type[Stage]")


def register(*spark_classes: str) -> Callable[[S], S]:
    """Class decorator: the stage implements these Spark classes (fully qualified names)."""

    def wrap(cls: S) -> S:
        for name in spark_classes:
            REGISTRY[name] = cls
        return cls

    return wrap


class Stage(ABC):
    """One fitted Spark transformer, rebuilt from its saved directory.

    Subclasses implement ``transform_batch`` (vectorised over a :class:`Frame`) and may
    override ``transform_row`` with a faster one-row path; both must give Spark's values.
    All reading of files happens in ``__init__``/``load`` so scoring does no I/O.
    """

    handle_invalid_modes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, meta: StageMetadata) -> None:
        self.meta = meta
        self.uid = meta.uid
        self.name = f"{meta.short_class}({meta.uid})"

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        """Build the stage from its metadata (and its data/ directory when it has one)."""
        return cls(meta)

    # --- contract ---------------------------------------------------------------------------
    @abstractmethod
    def input_fields(self) -> list[Field]:
        """Columns the stage reads."""

    @abstractmethod
    def output_fields(self) -> list[Field]:
        """Columns the stage adds, in the order Spark adds them."""

    def conditional_outputs(self) -> dict[str, str]:
        """Outputs added only when an optional input is present: output name -> input name.

        Spark's StringIndexerModel, for one, skips an input column absent from the dataset
        and adds no output for it. Default: none.
        """
        return {}

    def removed_columns(self) -> list[str]:
        """Columns the stage drops from the rows (RFormula's ColumnPruner). Default: none."""
        return []

    # --- scoring ----------------------------------------------------------------------------
    @abstractmethod
    def transform_batch(self, frame: Frame) -> None:
        """Add the output columns to ``frame`` (and drop rows, under handleInvalid='skip')."""

    def transform_row(self, row: dict[str, Any]) -> None:
        """Add the output values to one row (internal values). Default: a one-row batch."""
        frame = Frame({k: [v] for k, v in row.items()}, 1)
        self.transform_batch(frame)
        if frame.n == 0:
            raise RowFiltered(self.name, self.input_column_names()[0] if self.input_fields() else None)
        for f in self.output_fields():
            row[f.name] = frame.value(f.name, 0)

    # --- helpers for subclasses -------------------------------------------------------------
    def input_column_names(self) -> list[str]:
        """Names of the input columns."""
        return [f.name for f in self.input_fields()]

    def invalid(self, message: str, column: str | None = None, row: int | None = None) -> InvalidInputError:
        """An InvalidInputError naming this stage."""
        return InvalidInputError(message, column=column, stage=self.name, row=row)

    def param(self, name: str, default: Any = None) -> Any:
        """Effective param value (user-set, else Spark's default)."""
        return self.meta.get(name, default)


def first_true(mask: np.ndarray) -> int:
    """Position of the first True in a boolean mask (for error messages)."""
    return int(np.argmax(mask))


# --- one-row coercion helpers (the fast path avoids building a Frame) -------------------------
def row_value(stage: Stage, row: dict[str, Any], name: str) -> Any:
    """A row's value for ``name``; a missing column raises InvalidInputError."""
    try:
        return row[name]
    except KeyError:
        raise stage.invalid("missing input column", column=name) from None


def row_double(stage: Stage, row: dict[str, Any], name: str) -> float:
    """A row's numeric value as float; null or a non-number raises InvalidInputError."""
    v = row_value(stage, row, name)
    if isinstance(v, float):
        return v
    if isinstance(v, (int, np.integer, np.floating)) and not isinstance(v, bool):
        return float(v)
    if v is None:
        raise stage.invalid("null value", column=name)
    raise stage.invalid(f"expected a number, got {type(v).__name__} {v!r}", column=name)


def row_vector(stage: Stage, row: dict[str, Any], name: str) -> Any:
    """A row's vector (ndarray or SparseVector), parsing lists and sparse dicts."""
    v = row_value(stage, row, name)
    if isinstance(v, (np.ndarray, SparseVector)):
        return v
    if v is None:
        raise stage.invalid("null vector", column=name)
    try:
        return parse_vector(v, column=name)
    except InvalidInputError as exc:
        raise exc.at(stage=stage.name) from None
