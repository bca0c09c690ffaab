"""What the trainer reads from a train.requests record: the TrainRequest forms and a plain JSON spec."""

from __future__ import annotations

import json

import pytest

from services.trainer.intake import decode_train_request, fallback_job_id
from spindrift import wire

SPEC = {"model": "m", "pipeline": [{"stage": "Tokenizer", "params": {"inputCol": "text", "outputCol": "w"}}]}
REQUEST = {"job_id": "job-1", "kind": "TRAIN", "spec_json": json.dumps(SPEC), "submitted_at_ms": 5}
JSON_HEADER = [("content-type", b"application/json")]


def _decode(value: bytes, headers=None, key: bytes | None = None) -> dict:
    return decode_train_request(value, headers, key=key, default_job_id="train.requests-0-42", timestamp_ms=99)


def test_an_avro_train_request_is_read_as_written() -> None:
    assert _decode(wire.encode("TrainRequest", REQUEST), key=b"ignored") == REQUEST


def test_a_train_request_as_json_keeps_its_own_job_id() -> None:
    assert _decode(json.dumps(REQUEST).encode(), JSON_HEADER, key=b"other") == REQUEST


@pytest.mark.parametrize("headers", [JSON_HEADER, None], ids=["content-type", "leading-brace"])
def test_a_plain_spec_is_a_train_job_named_by_its_key(headers) -> None:
    request = _decode(json.dumps(SPEC, indent=2).encode(), headers, key=b"my-job")
    assert request == {"job_id": "my-job", "kind": "TRAIN", "spec_json": json.dumps(SPEC), "submitted_at_ms": 99}


def test_a_plain_spec_without_a_key_is_named_by_its_place_in_the_topic() -> None:
    assert (
        _decode(json.dumps(SPEC).encode())["job_id"]
        == "train.requests-0-42"
        == fallback_job_id("train.requests", 0, 42)
    )


@pytest.mark.parametrize(
    ("value", "key", "says"),
    [
        (b'{"model": "m", "pipeline": [', None, "invalid train request JSON"),
        (b'{"model": "m", "data": {}, "output": {"path": "/x"}}', None, 'a training spec with "model" and "pipeline"'),
        (b'{"job_id": "j", "kind": "TRAIN"}', None, "TrainRequest"),
        (json.dumps(SPEC).encode(), b"\xff\xfe", "not UTF-8"),
        (json.dumps(SPEC).encode(), b"k" * 201, "1 to 200 characters"),
        (b"plain text", None, "not an Avro single-object message"),
    ],
    ids=["truncated", "batch-spec-without-envelope", "incomplete-envelope", "binary-key", "long-key", "not-json"],
)
def test_anything_else_is_a_wire_error_saying_what_is_wrong(value: bytes, key: bytes | None, says: str) -> None:
    with pytest.raises(wire.WireError) as caught:
        _decode(value, key=key)
    assert says in str(caught.value)
