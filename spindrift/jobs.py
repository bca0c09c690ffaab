"""Submit, follow and cancel trainer jobs over Kafka.

    job_id = submit_training(settings, {"model": "tutorial", "pipeline": [...], "data": {...}})
    final = follow_job(settings, job_id, on_event=print, timeout=600)
    if final.type == "PUBLISHED": ...

A submission writes a QUEUED event on ``train.events`` and then the ``TrainRequest`` on
``train.requests``, both keyed by the job id. The job's history is the sequence of
``JobEvent``s with that key; it ends with exactly one terminal event: PUBLISHED (the model
is published, or a batch job's output is written), FAILED or CANCELLED.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer

from spindrift import wire
from spindrift.kafka.group import TopicNotFound
from spindrift.kafka.produce import send
from spindrift.kafka.reading import PartitionReader
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import TRAIN_EVENTS, TRAIN_REQUESTS, ensure_topics, standard_topics

__all__ = [
    "TERMINAL_TYPES",
    "JobEvent",
    "cancel_job",
    "follow_job",
    "submit_batch_scoring",
    "submit_training",
]

TERMINAL_TYPES = frozenset({"PUBLISHED", "FAILED", "CANCELLED"})
"""The event types that end a job's history: nothing follows them (the trainer and every reader share this)."""
_ACK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class JobEvent:
    """One step of a job's history, as the trainer wrote it."""

    job_id: str
    seq: int
    type: str
    at_ms: int
    message: str
    progress: float | None = None
    details: dict[str, Any] | None = None
    worker: str | None = None

    @property
    def terminal(self) -> bool:
        """True for PUBLISHED, FAILED and CANCELLED: nothing follows them."""
        return self.type in TERMINAL_TYPES

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> JobEvent:
        """Build from a decoded ``JobEvent`` record (``details_json`` parsed)."""
        details = json.loads(record["details_json"]) if record.get("details_json") else None
        return cls(
            job_id=record["job_id"],
            seq=int(record["seq"]),
            type=record["type"],
            at_ms=int(record["at_ms"]),
            message=record["message"],
            progress=record.get("progress"),
            details=details,
            worker=record.get("worker"),
        )


def submit_training(
    settings: KafkaSettings,
    spec: Mapping[str, Any],
    *,
    job_id: str | None = None,
    producer: Producer | None = None,
) -> str:
    """Submit a ``train`` job; returns its id. The trainer validates the spec and reports problems as FAILED."""
    return _submit(settings, "TRAIN", spec, job_id, producer)


def submit_batch_scoring(
    settings: KafkaSettings,
    spec: Mapping[str, Any],
    *,
    job_id: str | None = None,
    producer: Producer | None = None,
) -> str:
    """Submit a ``score_batch`` job (score a dataset with Spark, write the results); returns its id."""
    return _submit(settings, "SCORE_BATCH", spec, job_id, producer)


def cancel_job(settings: KafkaSettings, job_id: str, *, producer: Producer | None = None) -> None:
    """Ask for a job to be cancelled; its history ends with CANCELLED unless it had already ended."""
    _check_job_id(job_id)
    _send_request(
        settings, producer, {"job_id": job_id, "kind": "CANCEL", "spec_json": "{}", "submitted_at_ms": _now_ms()}
    )


def follow_job(
    settings: KafkaSettings,
    job_id: str,
    on_event: Callable[[JobEvent], None] | None = None,
    timeout: float = 600.0,
) -> JobEvent:
    """Read the job's events from the start, calling ``on_event`` for each, and return the terminal one.

    Raises ``TimeoutError`` (naming the last event seen) when no terminal event arrives in time.
    """
    _check_job_id(job_id)
    key = job_id.encode()
    seen: set[int] = set()
    last: JobEvent | None = None
    deadline = time.monotonic() + timeout
    try:
        reader = PartitionReader(settings, [TRAIN_EVENTS], timeout_s=timeout)
    except TopicNotFound:
        raise TimeoutError(f"topic {TRAIN_EVENTS} does not exist; start a trainer (it creates the topics)") from None
    with reader:
        while time.monotonic() < deadline:
            for record in reader.poll():
                if record.key != key:
                    continue
                try:
                    _, decoded = wire.decode(record.value, record.headers, expected="JobEvent")
                except wire.WireError:
                    continue
                event = JobEvent.from_record(decoded)
                if event.seq in seen:
                    continue  # a re-sent event (at-least-once) or a duplicate
                seen.add(event.seq)
                last = event
                if on_event is not None:
                    on_event(event)
                if event.terminal:
                    return event
    where = f"; last event: {last.type} {last.message!r}" if last else "; no event seen (is a trainer running?)"
    raise TimeoutError(f"job {job_id} did not finish within {timeout:.0f}s{where}")


def _submit(
    settings: KafkaSettings, kind: str, spec: Mapping[str, Any], job_id: str | None, producer: Producer | None
) -> str:
    if not isinstance(spec, Mapping):
        raise TypeError(f"a job spec is a dict (JSON object), got {type(spec).__name__}")
    try:
        spec_json = json.dumps(spec)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the job spec is not JSON-serialisable: {exc}") from None
    job_id = job_id or f"job-{uuid.uuid4().hex[:16]}"
    _check_job_id(job_id)
    own = producer is None
    active = producer or make_producer(settings)
    try:
        ensure_topics(settings, [t for t in standard_topics(settings) if t.name in (TRAIN_REQUESTS, TRAIN_EVENTS)])
        queued = {
            "job_id": job_id,
            "seq": 0,
            "type": "QUEUED",
            "at_ms": _now_ms(),
            "message": f"{kind.lower()} job queued",
            "progress": 0.0,
            # The model name lets readers (the gateway's job list) filter jobs before anything is published.
            "details_json": json.dumps({"kind": kind, "model": spec.get("model")}),
            "worker": None,
        }
        # QUEUED is acknowledged before the request exists, so a trainer always sees it first
        # and continues the job's seq after it.
        send(active, TRAIN_EVENTS, wire.encode("JobEvent", queued), key=job_id.encode()).wait(active, _ACK_TIMEOUT_S)
        request = {"job_id": job_id, "kind": kind, "spec_json": spec_json, "submitted_at_ms": _now_ms()}
        value = wire.encode("TrainRequest", request)
        send(active, TRAIN_REQUESTS, value, key=job_id.encode()).wait(active, _ACK_TIMEOUT_S)
    finally:
        if own:
            close_producer(active, 5)
    return job_id


def _send_request(settings: KafkaSettings, producer: Producer | None, request: dict[str, Any]) -> None:
    own = producer is None
    active = producer or make_producer(settings)
    try:
        value = wire.encode("TrainRequest", request)
        send(active, TRAIN_REQUESTS, value, key=request["job_id"].encode()).wait(active, _ACK_TIMEOUT_S)
    finally:
        if own:
            close_producer(active, 5)


def _check_job_id(job_id: str) -> None:
    if not isinstance(job_id, str) or not job_id or len(job_id) > 200:
        raise ValueError(f"a job id is a non-empty string of at most 200 characters, got {job_id!r}")


def _now_ms() -> int:
    return int(time.time() * 1000)
