"""Fuzzing ``wire.decode``: whatever the bytes, it returns a record or raises ``WireError`` — nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from spindrift import wire
from spindrift.wire import WireError

JSON_HEADERS = [("content-type", b"application/json")]
NAMES = sorted(schemas.MESSAGE_NAMES)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
# Objects shaped a bit like the real messages, so the fuzzer gets past "missing field" quickly.
request_like = st.fixed_dictionaries(
    {"request_id": json_values, "model": json_values, "rows": json_values},
    optional={"version": json_values, "reply_topic": json_values, "sent_at_ms": json_values},
)


def _decodes_or_wire_error(data: bytes, headers: Any = None, expected: Any = None) -> None:
    try:
        name, record = wire.decode(data, headers, expected=expected)
    except WireError:
        return
    assert name in NAMES and isinstance(record, dict)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200), expected=st.none() | st.sampled_from(NAMES))
def test_arbitrary_bytes(data: bytes, expected: str | None) -> None:
    _decodes_or_wire_error(data, None, expected)
    _decodes_or_wire_error(data, JSON_HEADERS, expected or "ScoreRequest")


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(NAMES), body=st.binary(max_size=200))
def test_a_known_fingerprint_followed_by_arbitrary_bytes(name: str, body: bytes) -> None:
    _decodes_or_wire_error(wire.MAGIC + wire.fingerprint(name) + body, None, None)


@settings(max_examples=300, deadline=None)
@given(value=json_values | request_like, name=st.sampled_from(NAMES))
def test_arbitrary_json(value: Any, name: str) -> None:
    data = json.dumps(value).encode()
    _decodes_or_wire_error(data, JSON_HEADERS, name)


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(min_value=900, max_value=200_000), opener=st.sampled_from(["[", '{"a":']))
def test_json_nested_far_too_deep_is_a_wire_error_naming_the_limit(depth: int, opener: str) -> None:
    data = (opener * depth).encode()
    try:
        wire.decode(data, JSON_HEADERS, expected="ScoreRequest")
    except WireError as exc:
        assert "invalid JSON" in str(exc)
    else:
        raise AssertionError("an unterminated document decoded")


def test_the_issue_s_poison_request_names_the_depth_limit() -> None:
    deep = b'{"request_id":"x","model":"m","rows":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    try:
        wire.decode(deep, JSON_HEADERS, expected="ScoreRequest")
    except WireError as exc:
        assert "nested deeper" in str(exc) and "levels" in str(exc)
    else:
        raise AssertionError("a 100,000-level document decoded")


def test_a_message_over_the_size_limit_names_the_limit() -> None:
    data = b"{" + b" " * wire.MAX_MESSAGE_BYTES + b"}"
    try:
        wire.decode(data, JSON_HEADERS, expected="ScoreRequest")
    except WireError as exc:
        assert str(wire.MAX_MESSAGE_BYTES) in str(exc) and "MAX_MESSAGE_BYTES" in str(exc)
    else:
        raise AssertionError("an oversized message decoded")
