"""Open Inference Protocol v2 (KServe / MLServer / Triton REST) ⇄ Spindrift rows: pure translation, no I/O.

Inputs: one named tensor per input column, ``shape`` ``[n]`` or ``[n, 1]`` (a scalar per row) or
``[n, k]`` (a numeric or string vector per row); row ``i`` of every tensor is row ``i`` of the
request. ``data`` may be flat (row-major) or nested. Outputs: one tensor per output column,
named after it: scalars become ``[n]`` tensors (BOOL, INT64, FP64 or BYTES), equal-length
numeric vectors ``[n, k]`` FP64, anything else (sparse vectors, ragged lists) one JSON text
per row as BYTES.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import InvalidInput, PayloadTooLarge

__all__ = [
    "InferRequest",
    "InferResponse",
    "MetadataTensor",
    "ModelMetadata",
    "RequestInput",
    "RequestOutput",
    "ResponseOutput",
    "columns_to_outputs",
    "inputs_to_rows",
    "schema_to_tensors",
]

DATATYPES = ("BOOL", "INT32", "INT64", "FP32", "FP64", "BYTES")


class RequestInput(BaseModel):
    """One input tensor."""

    name: str = Field(min_length=1, max_length=256)
    shape: list[int] = Field(min_length=1, max_length=2)
    datatype: str
    data: list[Any]
    parameters: dict[str, Any] | None = None


class RequestOutput(BaseModel):
    """An output the caller asks for."""

    name: str = Field(min_length=1, max_length=256)
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    """An inference request."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=256)
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class ResponseOutput(BaseModel):
    """One output tensor."""

    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferResponse(BaseModel):
    """An inference response."""

    model_name: str
    model_version: str | None = None
    id: str | None = None
    parameters: dict[str, Any] | None = None
    outputs: list[ResponseOutput]


class MetadataTensor(BaseModel):
    """A tensor's name, datatype and shape (-1 = any size)."""

    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    """Model metadata."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[MetadataTensor]
    outputs: list[MetadataTensor]


def _flatten(data: Sequence[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in data:
        if isinstance(item, list):
            flat.extend(_flatten(item))
        else:
            flat.append(item)
    return flat


def _check_value(tensor: RequestInput, index: int, value: Any) -> Any:
    kind = tensor.datatype
    ok = (
        (kind == "BOOL" and isinstance(value, bool))
        or (kind in ("INT32", "INT64") and isinstance(value, int) and not isinstance(value, bool))
        or (kind in ("FP32", "FP64") and isinstance(value, (int, float)) and not isinstance(value, bool))
        or (kind == "BYTES" and isinstance(value, str))
    )
    if not ok:
        raise InvalidInput(f"input '{tensor.name}' ({kind}): element {index} is {value!r}, not a {kind} value")
    return float(value) if kind in ("FP32", "FP64") else value


def inputs_to_rows(inputs: Sequence[RequestInput], max_rows: int) -> list[dict[str, Any]]:
    """Rows (column → value) from the input tensors; ``InvalidInput`` naming the tensor at fault."""
    names = [t.name for t in inputs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"input tensor(s) {duplicates} given more than once")
    rows: list[dict[str, Any]] | None = None
    for tensor in inputs:
        if tensor.datatype not in DATATYPES:
            raise InvalidInput(
                f"input '{tensor.name}': datatype {tensor.datatype!r} is not one of {', '.join(DATATYPES)}"
            )
        if any(d < 0 for d in tensor.shape) or tensor.shape[0] < 1:
            raise InvalidInput(f"input '{tensor.name}': shape {tensor.shape} must be [n], [n, 1] or [n, k] with n >= 1")
        count = tensor.shape[0]
        width = tensor.shape[1] if len(tensor.shape) == 2 else 1
        if count > max_rows:
            raise PayloadTooLarge(
                f"input '{tensor.name}' has {count} rows, over the limit of {max_rows} (GATEWAY_MAX_ROWS)"
            )
        if width < 1 or count * width > max_rows * 1024:
            raise InvalidInput(f"input '{tensor.name}': shape {tensor.shape} is not usable")
        flat = _flatten(tensor.data)
        if len(flat) != count * width:
            raise InvalidInput(
                f"input '{tensor.name}': shape {tensor.shape} needs {count * width} elements, data has {len(flat)}"
            )
        values = [_check_value(tensor, i, v) for i, v in enumerate(flat)]
        if rows is None:
            rows = [{} for _ in range(count)]
        elif len(rows) != count:
            raise InvalidInput(f"input '{tensor.name}' has {count} rows but '{inputs[0].name}' has {len(rows)}")
        vector = len(tensor.shape) == 2 and width > 1
        for i in range(count):
            rows[i][tensor.name] = values[i * width : (i + 1) * width] if vector else values[i]
    assert rows is not None  # inputs is not empty (validated by InferRequest)
    return rows


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _column_tensor(name: str, values: list[Any]) -> ResponseOutput:
    n = len(values)
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == n:
        return ResponseOutput(name=name, shape=[n], datatype="BOOL", data=values)
    if present and len(present) == n and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return ResponseOutput(name=name, shape=[n], datatype="INT64", data=values)
    if present and len(present) == n and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return ResponseOutput(name=name, shape=[n], datatype="FP64", data=[_json_ready(float(v)) for v in values])
    if present and len(present) == n and all(isinstance(v, str) for v in values):
        return ResponseOutput(name=name, shape=[n], datatype="BYTES", data=values)
    if (
        present
        and len(present) == n
        and all(
            isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            for v in values
        )
        and len({len(v) for v in values}) == 1
    ):
        width = len(values[0])
        return ResponseOutput(
            name=name, shape=[n, width], datatype="FP64", data=[_json_ready(float(x)) for v in values for x in v]
        )
    return ResponseOutput(
        name=name, shape=[n], datatype="BYTES", data=[json.dumps(v, allow_nan=False, default=str) for v in values]
    )


def columns_to_outputs(rows: Sequence[Mapping[str, Any]], wanted: Sequence[str] | None) -> list[ResponseOutput]:
    """Output tensors, one per column of the scored rows (only ``wanted`` ones when given, in that order)."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if wanted is not None:
        missing = [w for w in wanted if w not in columns]
        if missing:
            raise InvalidInput(f"requested output(s) {missing} are not columns of this model (it has: {columns})")
        columns = list(wanted)
    return [_column_tensor(c, [row.get(c) for row in rows]) for c in columns]


_SPARK_TO_OIP = {
    "string": ("BYTES", [-1]),
    "double": ("FP64", [-1]),
    "float": ("FP32", [-1]),
    "long": ("INT64", [-1]),
    "bigint": ("INT64", [-1]),
    "int": ("INT32", [-1]),
    "integer": ("INT32", [-1]),
    "boolean": ("BOOL", [-1]),
    "vector": ("FP64", [-1, -1]),
    "array<double>": ("FP64", [-1, -1]),
    "array<string>": ("BYTES", [-1, -1]),
}


def schema_to_tensors(schema: Sequence[Mapping[str, Any]]) -> list[MetadataTensor]:
    """Metadata tensors from a manifest's ``input_schema`` / ``output_schema`` (``[{"name", "type"}]``)."""
    tensors = []
    for field in schema:
        kind = str(field.get("type", "")).lower()
        datatype, shape = _SPARK_TO_OIP.get(kind, ("BYTES", [-1]))
        tensors.append(MetadataTensor(name=str(field.get("name")), datatype=datatype, shape=list(shape)))
    return tensors
