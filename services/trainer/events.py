"""Job events on ``train.events``: the emitter a running job writes with, and the history a worker reads.

Every event is a ``JobEvent`` keyed by the job id, with a ``seq`` that increases across the
whole life of the job — including re-runs after a trainer died — so readers can order and
de-duplicate. A job ends with exactly one terminal event: PUBLISHED (a train job's model is
published, or a batch job's output is written), FAILED or CANCELLED.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import Producer

from spindrift import wire
from spindrift.jobs import TERMINAL_TYPES
from spindrift.kafka.produce import send
from spindrift.kafka.reading import PartitionReader
from spindrift.kafka.records import Record

if TYPE_CHECKING:
    from spindrift.kafka.settings import KafkaSettings

__all__ = ["TERMINAL_TYPES", "JobEvents", "JobHistory", "JobRecord", "now_ms"]

_ACK_TIMEOUT_S = 30.0


def now_ms() -> int:
    """Wall-clock milliseconds, the timestamp unit of every event."""
    return int(time.time() * 1000)


class JobEvents:
    """Writes one job's events in order; safe to call from the job thread and its progress thread."""

    def __init__(self, producer: Producer, topic: str, job_id: str, worker: str | None, next_seq: int = 0) -> None:
        self._producer = producer
        self._topic = topic
        self.job_id = job_id
        self._worker = worker
        self._seq = next_seq
        self._lock = threading.Lock()
        self.last_emit = 0.0

    def emit(
        self,
        event_type: str,
        message: str,
        *,
        progress: float | None = None,
        details: Mapping[str, Any] | None = None,
        wait: bool = False,
    ) -> dict[str, Any]:
        """Write one event; ``wait`` blocks until Kafka acknowledged it (terminal events need that)."""
        with self._lock:
            record = {
                "job_id": self.job_id,
                "seq": self._seq,
                "type": event_type,
                "at_ms": now_ms(),
                "message": message,
                "progress": progress,
                "details_json": json.dumps(details, default=str) if details is not None else None,
                "worker": self._worker,
            }
            value = wire.encode("JobEvent", record)
            delivery = send(self._producer, self._topic, value, key=self.job_id.encode(), timeout_s=_ACK_TIMEOUT_S)
            self._seq += 1
            self.last_emit = time.monotonic()
        if wait or event_type in TERMINAL_TYPES:
            delivery.wait(self._producer, _ACK_TIMEOUT_S)
        return record


@dataclass
class JobRecord:
    """What ``train.events`` says about one job so far."""

    next_seq: int = 0
    started: int = 0
    last_type: str | None = None
    terminal: str | None = None
    last_message: str | None = None
    """The latest event's message (e.g. the phase a trainer was in when it died), for the give-up message."""


class JobHistory:
    """A running summary of ``train.events``, read incrementally from the beginning (no consumer group).

    The worker refreshes it before each job: how many times the job was STARTED (by trainers
    that died) caps re-runs, a terminal event means a redelivered request is not run again,
    and the next ``seq`` continues the job's numbering.
    """

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._kafka = kafka
        self._topic = topic
        self._reader: PartitionReader | None = None
        self._jobs: dict[str, JobRecord] = {}

    def refresh(self, timeout_s: float = 30.0) -> None:
        """Read every event written before this call (up to the end offsets seen now)."""
        if self._reader is None:
            self._reader = PartitionReader(self._kafka, [self._topic], timeout_s=timeout_s)
        for record in self._reader.read_to_end(timeout_s):
            self._apply(record)

    def _apply(self, record: Record) -> None:
        try:
            _, event = wire.decode(record.value or b"", record.headers, expected="JobEvent")
        except wire.WireError:
            return  # a foreign record on the topic says nothing about our jobs
        self.observe(event)

    def observe(self, event: Mapping[str, Any]) -> None:
        """Fold one event into the summary (also used for events this worker wrote itself)."""
        job = self._jobs.setdefault(event["job_id"], JobRecord())
        job.next_seq = max(job.next_seq, int(event["seq"]) + 1)
        job.last_type = event["type"]
        job.last_message = event.get("message") or job.last_message
        if event["type"] == "STARTED":
            job.started += 1
        if event["type"] in TERMINAL_TYPES:
            job.terminal = event["type"]

    def job(self, job_id: str) -> JobRecord:
        """The summary of one job (empty if no event was seen for it)."""
        return self._jobs.get(job_id, JobRecord())

    def close(self) -> None:
        """Close the consumer."""
        if self._reader is not None:
            self._reader.close()
