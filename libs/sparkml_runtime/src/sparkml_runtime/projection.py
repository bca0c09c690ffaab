"""Which stages a set of requested output columns needs: the pipeline walked backwards.

Asking for ``["prediction"]`` of Tokenizer → HashingTF → LogisticRegression still runs all
three stages (each feeds the next), but the token lists and the 2^18-wide term-frequency
vectors stay internal columns and are never turned into Python objects. A stage that
nothing requested feeds is not run at all, as Spark's optimizer prunes an unused column
after ``transform(...).select(...)``.

Two kinds of stage run even when no requested column comes from them, because Spark's
``transform`` would still apply them:

- a stage that drops rows (``handleInvalid='skip'``): Spark filters the rows whatever is
  selected afterwards, so the filter runs, and with it every stage its inputs need;
- a stage without output columns that checks a column a later needed stage reads
  (``VectorSizeHint``): Spark replaces that column with a checked one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .stages import Stage


@dataclass(frozen=True)
class Plan:
    """What one ``outputs`` request runs and returns.

    ``columns`` None means every column (the default, unprojected behaviour); then
    ``reads`` is None too and every input column is carried through.
    """

    stages: tuple[Stage, ...]
    """The stages to run, in pipeline order."""
    columns: tuple[str, ...] | None
    """The columns to return, in the caller's order."""
    reads: frozenset[str] | None
    """The input columns the run needs: what its stages read from the input, plus pass-through columns."""
    passthrough: tuple[str, ...]
    """Requested columns no stage produces: they must come from the input."""

    def unknown(self, present: Callable[[str], bool]) -> list[str]:
        """The requested pass-through columns for which ``present(name)`` is false."""
        return [c for c in self.passthrough if not present(c)]


def _drops_rows(stage: Stage) -> bool:
    """Whether the stage may filter rows out (Spark's handleInvalid='skip')."""
    return stage.param("handleInvalid") == "skip"


def make_plan(stages: Sequence[Stage], outputs: Sequence[str] | None) -> Plan:
    """The stages to run, in pipeline order, for ``outputs`` (None: every stage, every column)."""
    if outputs is None:
        return Plan(tuple(stages), None, None, ())
    if isinstance(outputs, (str, bytes)):
        raise TypeError("outputs must be a list of column names, not a string")
    columns = tuple(dict.fromkeys(outputs))  # repeats dropped, the caller's order kept
    needed = set(columns)
    keep: list[Stage] = []
    for stage in reversed(stages):
        outs = [f.name for f in stage.output_fields()]
        ins = stage.input_column_names()
        if (
            needed.intersection(outs)
            or _drops_rows(stage)
            or (not outs and needed.intersection(ins))  # a checker of a column used later
        ):
            keep.append(stage)
            needed.update(ins)
    keep.reverse()
    produced = {f.name for s in stages for f in s.output_fields()}
    passthrough = tuple(c for c in columns if c not in produced)
    return Plan(tuple(keep), columns, frozenset(needed - produced), passthrough)


__all__ = ["Plan", "make_plan"]
