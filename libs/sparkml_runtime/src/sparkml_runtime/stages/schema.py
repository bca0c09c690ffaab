"""The contract a sequence of stages implies: the caller's columns and the added ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..frame import Field
from .base import Stage


def derive_schema(stages: Sequence[Stage]) -> tuple[list[Field], list[Field]]:
    """(input fields, output fields) of ``stages`` run in order.

    An input is optional when every stage reading it tolerates its absence (Spark's
    StringIndexerModel skips an absent column); it becomes required again as soon as a
    later stage needs an output that exists only when it is given. Columns a stage removes
    (RFormula's ColumnPruner) are not outputs.
    """
    produced: dict[str, Field] = {}
    needed: dict[str, Field] = {}
    # produced column -> the optional caller columns it exists only with
    roots: dict[str, set[str]] = {}
    required: set[str] = set()
    for stage in stages:
        for f in stage.input_fields():
            if f.name in produced:
                if f.required:
                    required.update(roots.get(f.name, ()))
                continue
            needed.setdefault(f.name, f)
            if f.required:
                required.add(f.name)
        conditional = stage.conditional_outputs()
        for f in stage.output_fields():
            produced[f.name] = f
            source = conditional.get(f.name)
            if source is None:
                roots.pop(f.name, None)
            else:
                roots[f.name] = set(roots.get(source, ())) if source in produced else {source}
        for name in stage.removed_columns():
            produced.pop(name, None)
    inputs = [replace(f, required=f.name in required) for f in needed.values()]
    outputs = [replace(f, required=not (roots.get(f.name, set()) - required)) for f in produced.values()]
    return inputs, outputs
