"""Schema evolution: genuinely older frozen releases (schemas/history) and the current schemas read each other's data."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastavro.schema import parse_schema, to_parsing_canonical_form

import schemas
from spindrift.wire import Catalog, WireError

# One message of each kind in the codec's Python-facing form, every field set (no defaults).
SAMPLES: dict[str, dict[str, Any]] = {
    "ScoreRequest": {
        "request_id": "r",
        "model": "m",
        "version": "2",
        "rows": [{"t": "a b", "v": [1.0], "s": ["a"]}],
        "reply_topic": "replies",
        "sent_at_ms": 1,
        "outputs": ["prediction", "text"],
        "deadline_ms": 10_001,
    },
    "ScoreReply": {
        "request_id": "r",
        "model": "m",
        "version": 2,
        "outcome": {"code": "TIMEOUT", "message": "slow"},
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
CURRENT = {name: schemas.expanded(name) for name in schemas.MESSAGE_NAMES}


def _canonical(schema: dict[str, Any]) -> str:
    return str(to_parsing_canonical_form(parse_schema(copy.deepcopy(schema), named_schemas={})))


# Frozen versions that differ from the current schema: the only ones whose round trips test evolution.
OLDER = [(n, v, s) for n, v, s in HISTORY if _canonical(s) != _canonical(CURRENT[n])]
OLDER_IDS = [f"{n}.v{v}" for n, v, _ in OLDER]


def _field_names(schema: dict[str, Any]) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def test_history_holds_a_v1_of_every_message() -> None:
    frozen = {(name, version) for name, version, _ in HISTORY}
    assert {(name, 1) for name in schemas.MESSAGE_NAMES} <= frozen


def test_every_current_schema_is_its_latest_frozen_release() -> None:
    for name, current in CURRENT.items():
        version, latest = max(((v, s) for n, v, s in HISTORY if n == name), key=lambda pair: pair[0])
        assert _canonical(latest) == _canonical(current), (
            f"{name} changed since {name}.v{version}: freeze it as v{version + 1} (schemas/README.md, rule 5)"
        )


def test_history_holds_genuinely_older_versions() -> None:
    # Without these the round-trip tests below would only compare schemas with themselves.
    assert {"ScoreRequest.v1", "ScoreRequest.v2", "ScoreReply.v1"} <= set(OLDER_IDS), OLDER_IDS


@pytest.mark.parametrize(("name", "version", "frozen"), OLDER, ids=OLDER_IDS)
def test_an_older_writers_message_reads_with_the_current_schema(
    name: str, version: int, frozen: dict[str, Any]
) -> None:
    old_fields = _field_names(frozen)
    written = {k: v for k, v in SAMPLES[name].items() if k in old_fields}
    data = Catalog({name: frozen}).encode(name, written)
    current = Catalog({name: CURRENT[name]}, writers=[(name, frozen)])
    decoded_name, record = current.decode(data)
    added = {f["name"]: f["default"] for f in CURRENT[name]["fields"] if f["name"] not in old_fields}
    assert decoded_name == name
    assert record == {**written, **added}, f"a {name}.v{version} message must read as itself plus defaults"


@pytest.mark.parametrize(("name", "version", "frozen"), OLDER, ids=OLDER_IDS)
def test_an_older_reader_reads_a_current_message(name: str, version: int, frozen: dict[str, Any]) -> None:
    data = Catalog({name: CURRENT[name]}).encode(name, SAMPLES[name])
    old_reader = Catalog({name: frozen}, writers=[(name, CURRENT[name])])
    _, record = old_reader.decode(data)
    assert record == {k: v for k, v in SAMPLES[name].items() if k in _field_names(frozen)}


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
        "deadline_ms": None,
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


def test_each_score_request_release_appended_one_optional_field() -> None:
    v1, v2, v3 = (_frozen("ScoreRequest", v) for v in (1, 2, 3))
    assert _canonical(v3) == _canonical(CURRENT["ScoreRequest"]), "the current ScoreRequest is released as v3"
    assert _field_names(v2) == _field_names(v1) + ["outputs"]
    assert _field_names(v3) == _field_names(v2) + ["deadline_ms"]
    assert v3["fields"][-1]["type"] == ["null", "long"] and v3["fields"][-1]["default"] is None


def test_a_v2_request_has_no_deadline_and_a_v2_reader_ignores_one() -> None:
    v2 = _frozen("ScoreRequest", 2)
    current = Catalog({"ScoreRequest": CURRENT["ScoreRequest"]}, writers=[("ScoreRequest", v2)])
    request = {"request_id": "r", "model": "m", "rows": [{"x": 1.0}], "outputs": ["prediction"]}
    _, record = current.decode(Catalog({"ScoreRequest": v2}).encode("ScoreRequest", request))
    assert record["deadline_ms"] is None, "a request from a v2 client has no deadline: it is always scored"
    assert record["outputs"] == ["prediction"]

    v2_reader = Catalog({"ScoreRequest": v2}, writers=[("ScoreRequest", CURRENT["ScoreRequest"])])
    _, record = v2_reader.decode(current.encode("ScoreRequest", {**request, "deadline_ms": 1_700_000_000_000}))
    assert "deadline_ms" not in record and record["rows"] == [{"x": 1.0}] and record["outputs"] == ["prediction"]


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
