"""What a record on ``train.requests`` asks for: an Avro or JSON ``TrainRequest``, or a plain training spec.

Three forms are accepted, so a stream developer can send what the README shows:

- an Avro single-object ``TrainRequest`` (what ``spindrift.jobs`` and the gateway write);
- the same record as JSON (``content-type: application/json``, or a value starting with ``{``)
  with ``job_id``, ``kind``, ``spec_json`` and ``submitted_at_ms``;
- a plain training spec as JSON, e.g. ``examples/tutorial.json``: a JSON object with none of the
  ``TrainRequest`` fields. It is a TRAIN job whose id is the record key (UTF-8) or, for a record
  without a key, ``<topic>-<partition>-<offset>`` of the record itself, which a producer learns
  from the send's metadata. The id is the same on every redelivery, so a re-read request is
  recognised as the same job. Its events go to ``train.events`` keyed by that id, as for any job.

Anything else raises ``wire.WireError``; the worker sends such records to ``train.dlq``.
"""

from __future__ import annotations

import json
from typing import Any

from spindrift import wire

__all__ = ["ENVELOPE_FIELDS", "MAX_JOB_ID_CHARS", "decode_train_request", "fallback_job_id"]

ENVELOPE_FIELDS = frozenset({"job_id", "kind", "spec_json", "submitted_at_ms"})
MAX_JOB_ID_CHARS = 200


def fallback_job_id(topic: str, partition: int, offset: int) -> str:
    """The job id of a plain-spec request sent without a key: where the record sits, stable across redeliveries."""
    return f"{topic}-{partition}-{offset}"


def decode_train_request(
    value: bytes | None,
    headers: wire.Headers | None,
    *,
    key: bytes | None,
    default_job_id: str,
    timestamp_ms: int,
) -> dict[str, Any]:
    """The ``TrainRequest`` a record carries (see the module docstring); ``WireError`` when it carries none."""
    try:
        _, request = wire.decode(value, headers, expected="TrainRequest")
        return request
    except wire.WireError as envelope_error:
        if value is None or bytes(value).lstrip()[:1] != b"{":
            raise
        body = wire.loads_json(bytes(value), "train request JSON")
        if not isinstance(body, dict) or ENVELOPE_FIELDS & set(body):
            raise envelope_error from None  # a (malformed) TrainRequest: its own error says what is wrong
        return _plain_spec_request(body, key, default_job_id, timestamp_ms)


def _plain_spec_request(
    spec: dict[str, Any], key: bytes | None, default_job_id: str, timestamp_ms: int
) -> dict[str, Any]:
    if not isinstance(spec.get("model"), str) or not ("pipeline" in spec or "function" in spec):
        raise wire.WireError(
            'a JSON train request is either a training spec with "model" and "pipeline" (or "function"), '
            "or a TrainRequest with job_id, kind, spec_json and submitted_at_ms; got keys "
            f"{sorted(spec)[:10]}"
        )
    if key:
        try:
            job_id = bytes(key).decode("utf-8")
        except UnicodeDecodeError:
            raise wire.WireError("the record key (the job id of a plain JSON spec) is not UTF-8") from None
    else:
        job_id = default_job_id
    if not job_id.strip() or len(job_id) > MAX_JOB_ID_CHARS:
        raise wire.WireError(f"the record key (the job id) must be 1 to {MAX_JOB_ID_CHARS} characters, got {job_id!r}")
    return {"job_id": job_id, "kind": "TRAIN", "spec_json": json.dumps(spec), "submitted_at_ms": timestamp_ms}
