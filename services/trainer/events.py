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

from spindrift import wire

if TYPE_CHECKING:
    from kafka import KafkaProducer

    from spindrift.kafka.settings import KafkaSettings

TERMINAL_TYPES = frozenset({"PUBLISHED", "FAILED", "CANCELLED"})
_ACK_TIMEOUT_S = 30.0


def now_ms() -> int:
    """Wall-clock milliseconds, the timestamp unit of every event."""
    return int(time.time() * 1000)


class JobEvents:
    """Writes one job's events in order; safe to call from the job thread and its progress thread."""

    def __init__(self, producer: KafkaProducer, topic: str, job_id: str, worker: str | None, next_seq: int = 0) -> None:
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
            future = self._producer.send(self._topic, key=self.job_id.encode(), value=wire.encode("JobEvent", record))
            self._seq += 1
            self.last_emit = time.monotonic()
        if wait or event_type in TERMINAL_TYPES:
            future.get(timeout=_ACK_TIMEOUT_S)
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
        from spindrift.kafka.settings import make_consumer

        self._topic = topic
        self._consumer = make_consumer(kafka, group_id=None)
        self._jobs: dict[str, JobRecord] = {}
        self._assigned = False

    def refresh(self, timeout_s: float = 30.0) -> None:
        """Read every event written before this call (up to the end offsets seen now)."""
        from kafka import TopicPartition

        if not self._assigned:
            partitions = self._consumer.partitions_for_topic(self._topic) or set()
            if not partitions:
                raise RuntimeError(f"topic {self._topic!r} has no partitions; was ensure_topics run?")
            tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
            self._consumer.assign(tps)
            self._consumer.seek_to_beginning(*tps)
            self._assigned = True
        tps = list(self._consumer.assignment())
        end = self._consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while any(self._consumer.position(tp) < end[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {self._topic} took more than {timeout_s:.0f}s")
            for records in self._consumer.poll(timeout_ms=200).values():
                for record in records:
                    self._apply(record.value, record.headers)

    def _apply(self, value: bytes | None, headers: Any) -> None:
        try:
            _, event = wire.decode(value or b"", headers, expected="JobEvent")
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
        self._consumer.close()
