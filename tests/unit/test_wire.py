"""The wire codec without a broker: single-object framing, fingerprints, JSON, bad input."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import schemas
from spindrift import wire
from spindrift.wire import WireError

JSON_HEADERS = [("content-type", b"application/json")]

REQUEST = {
    "request_id": "r-1",
    "model": "spam",
    "version": "production",
    "rows": [
        {
            "text": "hello spark",
            "count": 3,
            "score": 0.25,
            "flag": True,
            "missing": None,
            "dense": [1.0, 0.0, -2.5],
            "tokens": ["hello", "spark"],
            "sparse": {"size": 10, "indices": [1, 7], "values": [1.0, 2.0]},
        }
    ],
    "reply_topic": "replies.gw-1",
    "sent_at_ms": 1_700_000_000_000,
    "outputs": ["prediction", "text"],
    "deadline_ms": 1_700_000_010_000,
}


def crc64_avro(data: bytes) -> int:
    """CRC-64-AVRO written straight from the Avro specification's reference code."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def test_round_trip_of_a_request_with_every_value_kind() -> None:
    data = wire.encode("ScoreRequest", REQUEST)
    assert data[:2] == b"\xc3\x01"
    name, record = wire.decode(data, expected="ScoreRequest")
    assert name == "ScoreRequest"
    assert record == REQUEST


def test_header_fingerprint_is_the_spec_crc64_of_the_canonical_form() -> None:
    from fastavro.schema import parse_schema, to_parsing_canonical_form

    canonical = to_parsing_canonical_form(parse_schema(schemas.expanded("ScoreRequest"), named_schemas={}))
    # The canonical form must carry the full definition of shared types, or other Avro
    # implementations would compute a different fingerprint.
    assert '"name":"io.spindrift.SparseVector","type":"record"' in canonical
    expected = struct.pack("<Q", crc64_avro(canonical.encode("utf-8")))
    assert wire.encode("ScoreRequest", REQUEST)[2:10] == expected
    assert wire.fingerprint("ScoreRequest") == expected


def test_fingerprint_lookup_names_the_message_type() -> None:
    event = {"model": "spam", "version": 2, "type": "PROMOTED", "alias": "production", "at_ms": 5}
    name, record = wire.decode(wire.encode("ModelEvent", event))
    assert name == "ModelEvent"
    assert record == {**event, "manifest_json": None}
    assert len({wire.fingerprint(n) for n in schemas.MESSAGE_NAMES}) == len(schemas.MESSAGE_NAMES)


def test_replies_carry_either_rows_or_an_error() -> None:
    result = {"request_id": "r", "model": "m", "version": 4, "outcome": {"rows": [{"prediction": 1.0, "words": ["a"]}]}}
    error = {"request_id": "r", "model": "m", "outcome": {"code": "UNKNOWN_MODEL", "message": "no model 'm'"}}
    assert wire.decode(wire.encode("ScoreReply", result))[1]["outcome"] == {
        "rows": [{"prediction": 1.0, "words": ["a"]}]
    }
    decoded = wire.decode(wire.encode("ScoreReply", error))[1]
    assert decoded["outcome"] == {"code": "UNKNOWN_MODEL", "message": "no model 'm'"}
    assert decoded["version"] is None and decoded["latency_ms"] is None


def test_numpy_values_and_objects_with_to_json_are_accepted() -> None:
    class Sparse:
        def to_json(self) -> dict[str, object]:
            return {"size": 4, "indices": [2], "values": [0.5]}

    row = {"a": np.float64(0.5), "b": np.int64(7), "c": np.array([1.0, 2.0]), "d": Sparse()}
    record = dict(REQUEST, rows=[row])
    decoded = wire.decode(wire.encode("ScoreRequest", record))[1]
    assert decoded["rows"] == [{"a": 0.5, "b": 7, "c": [1.0, 2.0], "d": {"size": 4, "indices": [2], "values": [0.5]}}]


def test_json_path_round_trips_and_fills_defaults() -> None:
    text = wire.encode_json("ScoreRequest", REQUEST)
    assert json.loads(text) == REQUEST
    assert wire.decode(text, JSON_HEADERS, expected="ScoreRequest") == ("ScoreRequest", REQUEST)
    minimal = json.dumps({"request_id": "r", "model": "m", "rows": [{"text": "hi"}]}).encode()
    name, record = wire.decode(minimal, [("content-type", b"application/json; charset=utf-8")], "ScoreRequest")
    assert record["version"] is None and record["reply_topic"] is None and record["rows"] == [{"text": "hi"}]


@pytest.mark.parametrize(
    ("data", "headers", "expected", "needle"),
    [
        (b"", None, None, "C3 01"),
        (b"\xc3\x01\x00", None, None, "C3 01"),
        (b"garbage bytes here", None, None, "C3 01"),
        (b'{"request_id": "r"}', None, None, "content-type: application/json"),
        (b"\xc3\x01" + b"\xff" * 8 + b"body", None, None, "unknown schema fingerprint"),
        (b"{not json", JSON_HEADERS, "ScoreRequest", "invalid JSON"),
        (b"[1, 2]", JSON_HEADERS, "ScoreRequest", "must be an object"),
        (b'{"model": "m", "rows": []}', JSON_HEADERS, "ScoreRequest", "request_id"),
        (b'{"request_id": "r", "model": "m", "rows": [{"x": {"a": 1}}]}', JSON_HEADERS, "ScoreRequest", "sparse"),
        (b'{"request_id": "r"}', JSON_HEADERS, None, "expected schema"),
        (None, None, None, "empty message"),
    ],
)
def test_undecodable_input_raises_wire_error(
    data: bytes | None, headers: list[tuple[str, bytes]] | None, expected: str | None, needle: str
) -> None:
    with pytest.raises(WireError) as failure:
        wire.decode(data, headers, expected)
    assert needle in str(failure.value)


def test_truncated_and_padded_bodies_are_rejected() -> None:
    data = wire.encode("ScoreRequest", REQUEST)
    for cut in (1, 5, 20):
        with pytest.raises(WireError, match="corrupt ScoreRequest body"):
            wire.decode(data[:-cut])
    with pytest.raises(WireError, match="trailing"):
        wire.decode(data + b"\x00")


def test_wrong_message_type_is_rejected_when_a_type_is_expected() -> None:
    job = {"job_id": "j", "kind": "TRAIN", "spec_json": "{}", "submitted_at_ms": 1}
    with pytest.raises(WireError, match="expected ScoreRequest, got a TrainRequest"):
        wire.decode(wire.encode("TrainRequest", job), expected="ScoreRequest")


def test_records_that_do_not_fit_are_refused_at_encode() -> None:
    with pytest.raises(WireError, match="only numbers or only strings"):
        wire.encode("ScoreRequest", dict(REQUEST, rows=[{"mixed": [1.0, "a"]}]))
    with pytest.raises(WireError, match="ErrorCode|code"):
        wire.encode("ScoreReply", {"request_id": "r", "model": "m", "outcome": {"code": "NOPE", "message": ""}})
    with pytest.raises(WireError, match="unknown schema"):
        wire.encode("NoSuchMessage", {})
    with pytest.raises(WireError, match="cannot be sent as JSON"):
        wire.encode_json(
            "ArtifactChunk", {"model": "m", "version": 1, "index": 0, "count": 1, "sha256": "x", "data": b"1"}
        )


def test_json_without_a_content_type_is_detected_by_its_opening_brace() -> None:
    body = json.dumps({"request_id": "spring", "model": "m", "rows": [{"text": "hi"}]}).encode()
    name, record = wire.decode(body, [("__TypeId__", b"com.example.ScoreRequest")], expected="ScoreRequest")
    assert name == "ScoreRequest" and record["request_id"] == "spring"


def test_json_replies_are_strict_with_non_finite_numbers_as_strings() -> None:
    reply = {
        "request_id": "r",
        "model": "m",
        "outcome": {"rows": [{"a": float("nan"), "b": float("inf"), "c": [float("-inf"), 1.5], "d": 2.0}]},
    }
    text = wire.encode_json("ScoreReply", reply)
    assert b"NaN," not in text and b"Infinity," not in text
    strict = json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token} in JSON"))
    assert strict["outcome"]["rows"] == [{"a": "NaN", "b": "Infinity", "c": ["-Infinity", 1.5], "d": 2.0}]
    assert wire.dumps_json({"x": 1.0}) == b'{"x":1.0}'
    # A reader gets the vector back as numbers (a lone "NaN" scalar stays the documented string).
    _name, decoded = wire.decode(text, JSON_HEADERS, expected="ScoreReply")
    assert decoded["outcome"]["rows"][0]["c"] == [float("-inf"), 1.5] and decoded["outcome"]["rows"][0]["a"] == "NaN"
