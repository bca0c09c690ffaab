"""The allow-listed pipeline stages and their params, without pyspark.

Spec validation runs in processes that have no pyspark (the gateway) as well as in the
trainer, so it reads this catalog instead of the pyspark.ml classes: per stage its module,
the Spark classes its fit produces, and per param the name of pyspark's type converter and the param's doc. The catalog is
``stage_catalog.json``, generated from pyspark by ``python -m services.trainer.stage_classes``
(a test fails when it is stale). The converters below are twins of pyspark's
``TypeConverters`` for the values a JSON spec can hold, with the same messages; the trainer
still runs pyspark's own converter when it builds the pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ALLOWED_STAGES", "CATALOG_PATH", "CONVERTERS", "ParamInfo", "StageInfo"]

CATALOG_PATH = Path(__file__).with_name("stage_catalog.json")


@dataclass(frozen=True)
class ParamInfo:
    """One param of a stage: the pyspark type converter that checks it (by name) and its doc."""

    name: str
    converter: str
    doc: str

    def convert(self, value: Any) -> Any:
        """The value as pyspark's converter would make it; TypeError or ValueError when it cannot."""
        return CONVERTERS[self.converter](value)


@dataclass(frozen=True)
class StageInfo:
    """One allow-listed stage: its pyspark module (e.g. ``pyspark.ml.feature``), its params by name,
    and ``fitted``: the Spark classes it is saved as once fitted (the estimator's model class, or
    the transformer itself), as sparkml_runtime's registry names them."""

    name: str
    module: str
    params: Mapping[str, ParamInfo]
    fitted: tuple[str, ...]


# pyspark counts exactly these types as numbers (bool is not one: True is not a valid float).
_NUMERIC_TYPES = (int, float, np.float64, np.int64)
_LIST_TYPES = (list, tuple, range, np.ndarray)


def _is_numeric(value: Any) -> bool:
    return type(value) in _NUMERIC_TYPES


def _is_integer(value: Any) -> bool:
    return _is_numeric(value) and float(value).is_integer()


def _is_string(value: Any) -> bool:
    return isinstance(value, str) or type(value) in (np.bytes_, np.str_)


def identity(value: Any) -> Any:
    """Accept any value unchanged."""
    return value


def to_float(value: Any) -> float:
    """A number as a float."""
    if _is_numeric(value):
        return float(value)
    raise TypeError(f"Could not convert {value} to float")


def to_int(value: Any) -> int:
    """A whole number as an int (10.0 is fine, 10.5 is not)."""
    if _is_integer(value):
        return int(value)
    raise TypeError(f"Could not convert {value} to int")


def to_string(value: Any) -> str:
    """A string."""
    if isinstance(value, str):
        return value
    if type(value) in (np.bytes_, np.str_):
        return str(value)
    raise TypeError(f"Could not convert {type(value)} to string type")


def to_boolean(value: Any) -> bool:
    """A bool (no truthiness: 1 and "yes" are refused)."""
    if isinstance(value, bool):
        return value
    raise TypeError(f"Boolean Param requires value of type bool. Found {type(value)}.")


def to_list_float(value: Any) -> list[float]:
    """A list of numbers as floats."""
    if type(value) in _LIST_TYPES and all(_is_numeric(v) for v in value):
        return [float(v) for v in value]
    raise TypeError(f"Could not convert {value} to list of floats")


def to_list_list_float(value: Any) -> list[list[float]]:
    """A list of lists of numbers as floats."""
    if type(value) in _LIST_TYPES:
        return [to_list_float(v) for v in value]
    raise TypeError(f"Could not convert {value} to list of list of floats")


def to_list_int(value: Any) -> list[int]:
    """A list of whole numbers as ints."""
    if type(value) in _LIST_TYPES and all(_is_integer(v) for v in value):
        return [int(v) for v in value]
    raise TypeError(f"Could not convert {value} to list of ints")


def to_list_string(value: Any) -> list[str]:
    """A list of strings."""
    if type(value) in _LIST_TYPES and all(_is_string(v) for v in value):
        return [to_string(v) for v in value]
    raise TypeError(f"Could not convert {value} to list of strings")


def to_vector(value: Any) -> list[float]:
    """A list of numbers, kept as floats; pyspark makes it a DenseVector when the trainer builds the stage."""
    if type(value) in _LIST_TYPES and all(_is_numeric(v) for v in value):
        return [float(v) for v in value]
    raise TypeError(f"Could not convert {value} to vector")


def to_matrix(value: Any) -> Any:
    """Always refused: pyspark accepts only a Matrix object, which JSON cannot express."""
    raise TypeError(f"Could not convert {value} to matrix")


# Keyed by the names of pyspark's TypeConverters methods, as the catalog records them.
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "identity": identity,
    "toBoolean": to_boolean,
    "toFloat": to_float,
    "toInt": to_int,
    "toListFloat": to_list_float,
    "toListInt": to_list_int,
    "toListListFloat": to_list_list_float,
    "toListString": to_list_string,
    "toMatrix": to_matrix,
    "toString": to_string,
    "toVector": to_vector,
}


def _load(path: Path) -> dict[str, StageInfo]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: StageInfo(
            name=name,
            module=entry["module"],
            params={p: ParamInfo(p, info["converter"], info["doc"]) for p, info in entry["params"].items()},
            # .get: the generator itself imports this module before it has written "fitted"
            fitted=tuple(entry.get("fitted", ())),
        )
        for name, entry in raw["stages"].items()
    }


ALLOWED_STAGES: dict[str, StageInfo] = _load(CATALOG_PATH)
