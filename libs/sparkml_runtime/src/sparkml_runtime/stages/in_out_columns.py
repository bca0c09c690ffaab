"""Spark's ``getInOutCols`` for stages that take one column or parallel lists of columns."""

from __future__ import annotations

from ..errors import UnsupportedStageError
from .base import Stage
from .numeric_input import user_set


def in_out_columns(stage: Stage) -> tuple[list[str], list[str]]:
    """The single inputCol/outputCol when inputCol was set, else inputCols/outputCols.

    Spark checks ``isSet(inputCol)``: the saved defaults hold an ``outputCol`` even for
    multi-column stages, so only the user-set params decide.
    """
    meta = stage.meta
    if user_set(stage, "inputCol"):
        return [meta.require("inputCol")], [meta.require("outputCol")]
    inputs, outputs = list(meta.require("inputCols")), list(meta.require("outputCols"))
    if len(inputs) != len(outputs):
        raise UnsupportedStageError(meta.class_name, meta.uid, f"{len(inputs)} inputCols but {len(outputs)} outputCols")
    return inputs, outputs
