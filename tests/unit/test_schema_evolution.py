"""Schema evolution: current schemas and frozen released ones (schemas/history) read each other's data."""

from __future__ import annotations

import copy
import io
from typing import Any

import fastavro
import pytest
from fastavro.schema import parse_schema

import schemas
from spindrift.wire import Catalog, WireError

SAMPLES: dict[str, dict[str, Any]] = {
    "ScoreRequest": {
        "request_id": "r",
        "model": "m",
        "version": "2",
        "rows": [{"t": "a b", "v": [1.0], "s": ("io.spindrift.StringArray", {"items": ["a"]})}],
        "reply_topic": "replies",
        "sent_at_ms": 1,
        "outputs": ["prediction", "text"],
    },
    "ScoreReply": {
        "request_id": "r",
        "model": "m",
        "version": 2,
        "outcome": ("io.spindrift.ScoreError", {"code": "TIMEOUT", "message": "slow"}),
        "scorer": "s1",
        "latency_ms": 1.5,
    },
    "ModelEvent": {"model": "m", "version": 1, "type": "PUBLISHED", "alias": None, "manifest_json": "{}", "at_ms": 1},
    "ArtifactChunk": {"model": "m", "version": 1, "index": 0, "count": 1, "sha256": "ab", "data": b"\x00\x01"},
    "TrainRequest": {"job_id": "j", "kind": "TRAIN", "spec_json": "{}", "submitted_at_ms": 1},
    "JobEvent": {
        "job_id": "j",
        "seq": 0,
        "type": "QUEUED",
        "at_ms": 1,
        "message": "queued",
        "progress": None,
        "details_json": None,
        "worker": None,
    },
}

HISTORY = schemas.history()


def _write(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parse_schema(copy.deepcopy(schema), named_schemas={}), record)
    return buffer.getvalue()


def _read(writer: dict[str, Any], reader: dict[str, Any], data: bytes) -> Any:
    return fastavro.schemaless_reader(
        io.BytesIO(data),
        parse_schema(copy.deepcopy(writer), named_schemas={}),
        parse_schema(copy.deepcopy(reader), named_schemas={}),
    )


def test_history_holds_a_v1_of_every_message() -> None:
    frozen = {(name, version) for name, version, _ in HISTORY}
    assert {(name, 1) for name in schemas.MESSAGE_NAMES} <= frozen


@pytest.mark.parametrize(("name", "version", "frozen"), HISTORY, ids=[f"{n}.v{v}" for n, v, _ in HISTORY])
def test_current_and_frozen_read_each_other(name: str, version: int, frozen: dict[str, Any]) -> None:
    current = schemas.expanded(name)
    sample = SAMPLES[name]
    assert _read(frozen, current, _write(frozen, sample))["model" if "model" in sample else "job_id"]
    assert _read(current, frozen, _write(current, sample))["model" if "model" in sample else "job_id"]


def _records(
    schema: Any, found: dict[str, dict[str, Any]], namespace: str = "io.spindrift"
) -> dict[str, dict[str, Any]]:
    """Every named type in a self-contained schema, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _records(branch, found, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum"):
            namespace = schema.get("namespace", namespace)
            full = schema["name"] if "." in schema["name"] else f"{namespace}.{schema['name']}"
            found[full] = schema
            for field in schema.get("fields", []):
                _records(field["type"], found, namespace)
        elif kind == "array":
            _records(schema["items"], found, namespace)
        elif kind == "map":
            _records(schema["values"], found, namespace)
        elif isinstance(kind, (dict, list)):
            _records(kind, found, namespace)
    return found


@pytest.mark.parametrize(("name", "version", "frozen"), HISTORY, ids=[f"{n}.v{v}" for n, v, _ in HISTORY])
def test_changes_since_a_release_follow_the_rules(name: str, version: int, frozen: dict[str, Any]) -> None:
    old_types = _records(frozen, {})
    new_types = _records(schemas.expanded(name), {})
    for full, old in old_types.items():
        assert full in new_types, f"{full} was removed or renamed since {name}.v{version}"
        new = new_types[full]
        if old["type"] == "enum":
            assert new["symbols"][: len(old["symbols"])] == old["symbols"], f"{full}: symbols may only be appended"
            continue
        old_fields = {f["name"]: f for f in old["fields"]}
        new_fields = {f["name"]: f for f in new["fields"]}
        assert set(old_fields) <= set(new_fields), f"{full}: fields removed since v{version}"
        for field_name, field in new_fields.items():
            if field_name not in old_fields:
                assert "default" in field, f"{full}.{field_name} was added without a default"


# A hypothetical next release, written as the rules allow: new fields with defaults at the end,
# an enum symbol appended. It shows both directions through the wire codec itself.
def _next_request() -> dict[str, Any]:
    schema = schemas.expanded("ScoreRequest")
    schema["fields"].append({"name": "priority", "type": "int", "default": 0})
    schema["fields"].append({"name": "trace_id", "type": ["null", "string"], "default": None})
    return schema


def _next_reply() -> dict[str, Any]:
    schema = schemas.expanded("ScoreReply")
    error = next(b for b in schema["fields"][3]["type"] if b["name"] == "ScoreError")
    error["fields"][0]["type"]["symbols"].append("OVERLOADED")
    schema["fields"].append({"name": "queue_ms", "type": ["null", "double"], "default": None})
    return schema


def test_an_old_reader_reads_a_newer_message() -> None:
    newer = Catalog({"ScoreRequest": _next_request(), "ScoreReply": _next_reply()})
    old = Catalog(
        {"ScoreRequest": schemas.expanded("ScoreRequest"), "ScoreReply": schemas.expanded("ScoreReply")},
        writers=[("ScoreRequest", _next_request()), ("ScoreReply", _next_reply())],
    )
    request = {"request_id": "r", "model": "m", "rows": [{"x": 1.0}], "priority": 7, "trace_id": "t"}
    name, record = old.decode(newer.encode("ScoreRequest", request))
    assert name == "ScoreRequest"
    assert record == {
        "request_id": "r",
        "model": "m",
        "version": None,
        "rows": [{"x": 1.0}],
        "reply_topic": None,
        "sent_at_ms": None,
        "outputs": None,
    }

    reply = {"request_id": "r", "model": "m", "outcome": {"code": "OVERLOADED", "message": "busy"}, "queue_ms": 3.0}
    _, record = old.decode(newer.encode("ScoreReply", reply))
    assert record["outcome"] == {"code": "INTERNAL", "message": "busy"}, "unknown codes read as the enum default"
    assert "queue_ms" not in record


def test_a_newer_reader_reads_an_old_message() -> None:
    old = Catalog({"ScoreRequest": schemas.expanded("ScoreRequest")})
    newer = Catalog({"ScoreRequest": _next_request()}, writers=[("ScoreRequest", schemas.expanded("ScoreRequest"))])
    data = old.encode("ScoreRequest", {"request_id": "r", "model": "m", "rows": [{"tokens": ["a", "b"]}]})
    _, record = newer.decode(data)
    assert record["priority"] == 0 and record["trace_id"] is None
    assert record["rows"] == [{"tokens": ["a", "b"]}]


def test_a_reader_that_never_saw_the_writer_schema_says_so() -> None:
    newer = Catalog({"ScoreRequest": _next_request()})
    unaware = Catalog({"ScoreRequest": schemas.expanded("ScoreRequest")})
    with pytest.raises(WireError, match="unknown schema fingerprint"):
        unaware.decode(newer.encode("ScoreRequest", {"request_id": "r", "model": "m", "rows": []}))


def _frozen(name: str, version: int) -> dict[str, Any]:
    return next(schema for n, v, schema in HISTORY if (n, v) == (name, version))


def test_outputs_is_the_field_score_request_v2_added_to_v1() -> None:
    v1, v2 = _frozen("ScoreRequest", 1), _frozen("ScoreRequest", 2)
    assert v2 == schemas.expanded("ScoreRequest"), "the current ScoreRequest is released as v2"
    assert [f["name"] for f in v2["fields"]] == [f["name"] for f in v1["fields"]] + ["outputs"]
    assert v2["fields"][-1]["default"] is None


def test_a_v1_request_reads_as_default_outputs_and_v1_readers_ignore_them() -> None:
    v1_writer = Catalog({"ScoreRequest": _frozen("ScoreRequest", 1)})
    current = Catalog(
        {"ScoreRequest": schemas.expanded("ScoreRequest")}, writers=[("ScoreRequest", _frozen("ScoreRequest", 1))]
    )
    _, record = current.decode(v1_writer.encode("ScoreRequest", {"request_id": "r", "model": "m", "rows": []}))
    assert record["outputs"] is None, "a request from an older client asks for the default columns"

    v1_reader = Catalog(
        {"ScoreRequest": _frozen("ScoreRequest", 1)}, writers=[("ScoreRequest", schemas.expanded("ScoreRequest"))]
    )
    request = {"request_id": "r", "model": "m", "rows": [{"x": 1.0}], "outputs": ["*"]}
    _, record = v1_reader.decode(current.encode("ScoreRequest", request))
    assert record["rows"] == [{"x": 1.0}] and "outputs" not in record


def test_a_v1_reader_reads_reply_too_large_as_internal() -> None:
    frozen = next(schema for name, version, schema in HISTORY if (name, version) == ("ScoreReply", 1))
    v1 = Catalog({"ScoreReply": frozen}, writers=[("ScoreReply", schemas.expanded("ScoreReply"))])
    reply = {"request_id": "r", "model": "m", "outcome": {"code": "REPLY_TOO_LARGE", "message": "2 MB > 1 MB"}}
    _, record = v1.decode(Catalog({"ScoreReply": schemas.expanded("ScoreReply")}).encode("ScoreReply", reply))
    assert record["outcome"] == {"code": "INTERNAL", "message": "2 MB > 1 MB"}
