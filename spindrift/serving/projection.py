"""Which columns a reply row carries: the request's ``outputs`` resolved against a loaded pipeline.

``outputs`` null → the final stage's output columns (for a classifier: ``rawPrediction``,
``probability``, ``prediction``); a list → exactly those columns, inputs or outputs; ``["*"]``
→ every column the pipeline produces plus the inputs. The names a version can offer are
computed once when it loads (:class:`Projection`). A batch asks the runtime for the union
of its requests' columns (:func:`union_of`), so stages and intermediate columns nobody asked
for are never computed; a request wanting fewer columns than its batch-mates is cut down
with :func:`project`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sparkml_runtime import Pipeline

ALL = "*"


class UnknownColumn(ValueError):
    """A requested output column that neither the pipeline nor the request's rows have."""


@dataclass(frozen=True)
class Projection:
    """A loaded version's column names, precomputed once per version."""

    default: tuple[str, ...]
    """The final stage's output columns, in the order Spark adds them."""
    inputs: tuple[str, ...]
    """The columns the pipeline reads."""
    produced: tuple[str, ...]
    """Every column any stage adds."""
    known: frozenset[str]

    @classmethod
    def of(cls, pipeline: Pipeline) -> Projection:
        """The projection of ``pipeline`` (a pipeline without stages echoes its rows)."""
        default = tuple(f.name for f in pipeline.stages[-1].output_fields()) if pipeline.stages else ()
        inputs = tuple(f.name for f in pipeline.input_schema)
        produced = tuple(f.name for f in pipeline.output_schema)
        return cls(default, inputs, produced, frozenset(inputs + produced))

    def columns(self, outputs: Sequence[str] | None, rows: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
        """The column names to keep for a request (None = keep every column); raises UnknownColumn."""
        if outputs is None:
            return self.default or None
        if ALL in outputs:
            return None
        unknown = [name for name in outputs if name not in self.known and not any(name in r for r in rows)]
        if unknown:
            extra = sorted({k for r in rows for k in r} - self.known)
            available = ", ".join(self.inputs + tuple(extra) + self.produced)
            raise UnknownColumn(
                f"unknown output column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                f"available: {available} (or '*' for all of them)"
            )
        return tuple(dict.fromkeys(outputs))  # drop repeats, keep the caller's order


def check_outputs(outputs: Any) -> str | None:
    """A message naming what is wrong with an ``outputs`` value, or None when it is usable."""
    if outputs is None:
        return None
    if isinstance(outputs, (str, bytes)) or not isinstance(outputs, Sequence):
        return f"'outputs' must be a list of column names (or [\"*\"] for all), got {type(outputs).__name__}"
    if not outputs:
        return "'outputs' is empty; omit it for the final stage's outputs, or send [\"*\"] for every column"
    for name in outputs:
        if not isinstance(name, str) or not name:
            return f"'outputs' must hold column names (non-empty strings), got {name!r}"
    return None


def union_of(selections: Sequence[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    """The columns a batch of requests needs, in first-asked order (None when one wants every column)."""
    if any(names is None for names in selections):
        return None
    if len(selections) == 1:
        return selections[0]
    return tuple(dict.fromkeys(name for names in selections for name in names or ()))


def project(rows: list[dict[str, Any]], names: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """Keep only ``names`` of each row (all of them when None); a name a row lacks is left out."""
    if names is None:
        return rows
    return [{k: r[k] for k in names if k in r} for r in rows]
