"""Spark Row values in the JSON-ready form sparkml_runtime, manifests and replies use.

Dense vectors become lists of floats, sparse vectors ``{"size", "indices", "values"}``,
structs dicts; dates and times ISO strings, decimals floats.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def json_value(value: Any) -> Any:
    """One Spark value as plain JSON types (see module doc)."""
    from pyspark.ml.linalg import DenseVector, SparseVector
    from pyspark.sql import Row

    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, DenseVector):
        return [float(x) for x in value.toArray()]
    if isinstance(value, SparseVector):
        return {
            "size": int(value.size),
            "indices": [int(i) for i in value.indices],
            "values": [float(x) for x in value.values],
        }
    if isinstance(value, Row):
        return {k: json_value(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)


def json_row(row: Any, columns: list[str] | None = None) -> dict[str, Any]:
    """A Spark Row as a dict of JSON values, optionally only ``columns`` (in that order)."""
    data = row.asDict()
    names = columns if columns is not None else list(data)
    return {name: json_value(data[name]) for name in names if name in data}
