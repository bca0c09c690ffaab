"""Reading nullable numeric inputs for stages whose Spark input must be a numeric column.

Unlike ``Frame.doubles`` these refuse booleans, as Spark's numeric-column check does, and
report nulls as a mask instead of failing, because these stages give nulls a meaning
(Imputer fills them, Bucketizer passes them through, 'skip' drops them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..frame import Frame
from .base import Stage, row_value


def _describe(v: Any) -> str:
    return f"{type(v).__name__} {v!r}"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def nullable_doubles(stage: Stage, frame: Frame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column as float64 (NaN where null) and its null mask; other values raise."""
    col = frame.raw(name, stage.name)
    if isinstance(col, np.ndarray) and col.dtype.kind in "fiu":
        return col.astype(np.float64, copy=False), np.zeros(len(col), dtype=bool)
    values = np.empty(len(col))
    nulls = np.zeros(len(col), dtype=bool)
    for i, v in enumerate(col):
        if v is None:
            values[i] = math.nan
            nulls[i] = True
        elif _is_number(v):
            values[i] = v
        else:
            raise stage.invalid(f"expected a number or null, got {_describe(v)}", column=name, row=i)
    return values, nulls


def row_nullable_double(stage: Stage, row: dict[str, Any], name: str) -> float | None:
    """One row's numeric value as float, or None for null; other values raise."""
    v = row_value(stage, row, name)
    if v is None or type(v) is float:
        return v
    if _is_number(v):
        return float(v)
    raise stage.invalid(f"expected a number or null, got {_describe(v)}", column=name)


def decode_double(value: Any) -> float:
    """A double from saved params, reading Spark's "NaN"/"Inf"/"-Inf" spellings."""
    if isinstance(value, str):
        special = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf, "Infinity": math.inf, "-Infinity": -math.inf}
        return special[value] if value in special else float(value)
    return float(value)


def user_set(stage: Stage, param: str) -> bool:
    """Spark's ``isSet``: the param was set explicitly (it is in the saved ``paramMap``)."""
    return param in (stage.meta.raw.get("paramMap") or {})
