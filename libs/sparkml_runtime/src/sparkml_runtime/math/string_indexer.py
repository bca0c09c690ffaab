"""Label lookup for StringIndexerModel: Spark casts each input to string, then looks it up.

Spark's cast prints an int as ``1``, a double as the JVM does (``1.0``, ``1.0E7``,
``-0.0``, ``NaN``) and a boolean as ``true``. JSON does not keep int and double apart, so a
number is looked up under every spelling its column type could have given it; labels of
one column all come from one type, so at most one spelling can match.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .jvm_format import double_spellings, jdk17_double_to_string

UNSEEN = -1.0
NULL = -2.0
_LONG = re.compile(r"-?[0-9]+")
_LONG_RANGE = 1 << 63


def cast_to_string(value: Any) -> str:
    """How Spark (on Java 17) prints the value when it casts it to string."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return jdk17_double_to_string(float(value))


class LabelTable:
    """Index of each label of one column, reachable from strings, numbers and booleans."""

    __slots__ = ("labels", "by_string", "by_double", "by_long")

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        # OpenHashMap.update in label order: a repeated label keeps its last index.
        self.by_string: dict[str, float] = {label: float(i) for i, label in enumerate(labels)}
        self.by_double: dict[float, float] = {}
        self.by_long: dict[int, float] = {}
        for label, idx in self.by_string.items():
            if _LONG.fullmatch(label):
                number = int(label)
                if str(number) == label and -_LONG_RANGE <= number < _LONG_RANGE:
                    self.by_long[number] = idx
                continue
            try:
                d = float(label)
            except ValueError:
                continue
            # Zero and NaN go through their strings ("-0.0" != "0.0" although -0.0 == 0.0).
            if d == d and d != 0.0 and label in double_spellings(d):
                self.by_double.setdefault(d, idx)

    def __len__(self) -> int:
        return len(self.labels)

    def _double(self, d: float) -> float:
        if d != d:
            return self.by_string.get("NaN", UNSEEN)
        if d == 0.0:
            return self.by_string.get("-0.0" if math.copysign(1.0, d) < 0 else "0.0", UNSEEN)
        idx = self.by_double.get(d)
        if idx is not None:
            return idx
        if d.is_integer() and -_LONG_RANGE <= d < _LONG_RANGE:
            return self.by_long.get(int(d), UNSEEN)  # an integer column sent as 1.0
        return UNSEEN

    def lookup(self, value: Any) -> float:
        """The label index of ``value`` as a float, ``UNSEEN`` or ``NULL``.

        Raises TypeError for values that are neither string, number, boolean nor null.
        """
        t = type(value)
        if t is str:
            return self.by_string.get(value, UNSEEN)
        if value is None:
            return NULL
        if t is float:
            return self._double(value)
        if t is bool or isinstance(value, np.bool_):
            return self.by_string.get("true" if value else "false", UNSEEN)
        if t is int or isinstance(value, np.integer):
            idx = self.by_long.get(int(value))
            if idx is not None:
                return idx
            try:
                return self._double(float(value))  # a double column sent as 1
            except OverflowError:
                return UNSEEN
        if isinstance(value, np.floating):
            return self._double(float(value))
        raise TypeError(f"expected a string, number or boolean, got {t.__name__} {value!r}")
