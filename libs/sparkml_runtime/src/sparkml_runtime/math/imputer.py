"""Imputation math: replace missing entries by a fitted surrogate."""

from __future__ import annotations

import math

import numpy as np


def missing_mask(x: np.ndarray, nulls: np.ndarray, missing_value: float) -> np.ndarray:
    """Entries Spark's ImputerModel replaces: nulls, and values equal to ``missing_value``.

    Spark SQL's ``=`` holds for NaN = NaN, so a NaN ``missing_value`` matches NaN entries;
    with any other ``missing_value`` NaN entries are kept as they are.
    """
    if math.isnan(missing_value):
        return nulls | np.isnan(x)
    return nulls | (x == missing_value)


def impute(x: np.ndarray, nulls: np.ndarray, missing_value: float, surrogate: float) -> np.ndarray:
    """``x`` with missing entries (see :func:`missing_mask`) replaced by ``surrogate``."""
    return np.where(missing_mask(x, nulls, missing_value), surrogate, x)


def impute_value(v: float | None, missing_value: float, surrogate: float) -> float:
    """One value imputed: null, or equal to ``missing_value`` (NaN matching NaN), gives ``surrogate``."""
    if v is None or v == missing_value or (v != v and missing_value != missing_value):
        return surrogate
    return v
