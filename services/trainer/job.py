"""What a job is while it runs: its request, the trainer's shared context, its phases and its outcome.

Job kinds (``training.py``, ``batch.py``) are written against :class:`RunningJob`, not
against the runner, so the runner can dispatch to them through a table without either side
importing the other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .spec import parse_json_object

if TYPE_CHECKING:
    from confluent_kafka import Producer
    from pyspark.sql import SparkSession

    from spindrift.kafka.settings import KafkaSettings

    from .events import JobEvents
    from .published import PublishedModels
    from .settings import TrainerSettings


@dataclass(frozen=True)
class JobRequest:
    """A job as the worker received it: id, kind (TRAIN or SCORE_BATCH) and its spec as JSON text."""

    job_id: str
    kind: str
    spec_json: str
    submitted_at_ms: int = 0

    def spec(self) -> dict[str, Any]:
        """The spec decoded; a SpecError when it is not a JSON object."""
        return parse_json_object(self.spec_json, "spec_json")


@dataclass
class TrainerContext:
    """What every job shares: the warm SparkSession, settings, Kafka clients and the work directory."""

    spark: SparkSession
    settings: TrainerSettings
    kafka: KafkaSettings
    producer: Producer
    work_dir: Path
    models: PublishedModels | None = None


@dataclass
class JobOutcome:
    """How a job ended: ``published``, ``failed`` or ``cancelled``, with the terminal event's message."""

    outcome: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class Phases:
    """The current phase of a job and its share of the overall progress (0..1).

    Every event that carries a progress value goes through here, under one lock, so the
    progress of a job's events never goes backwards even though the job thread and the
    progress thread both write them.
    """

    def __init__(self, events: JobEvents) -> None:
        self._events = events
        self.name = "starting"
        self.start = 0.0
        self.end = 0.0
        self.spark_jobs_done = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def enter(self, name: str, start: float, end: float) -> None:
        """Begin a phase and announce it with a PROGRESS event."""
        with self._lock:
            self.name, self.start, self.end, self.spark_jobs_done = name, start, end, 0
            self._emit("PROGRESS", name, start, None)

    def milestone(self, event_type: str, message: str, progress: float, details: dict[str, Any] | None = None) -> None:
        """Write a milestone event (EVALUATED, CERTIFIED...) at ``progress``."""
        with self._lock:
            self._emit(event_type, message, progress, details)

    def report(self, activity: str | None, spark_jobs_completed: int) -> None:
        """A PROGRESS event for the running phase: what Spark is doing, or that it is still running."""
        with self._lock:
            self.spark_jobs_done += spark_jobs_completed
            # Spark jobs of a phase are not known in advance: approach the phase's end as they complete.
            fraction = 1.0 - 0.5 ** (self.spark_jobs_done / 4.0)
            within = self.start + (self.end - self.start) * min(fraction, 0.95)
            text = f"{self.name}: {activity}" if activity else f"{self.name} (still running)"
            self._emit("PROGRESS", text, round(within, 4), None)

    def _emit(self, event_type: str, message: str, progress: float, details: dict[str, Any] | None) -> None:
        progress = max(progress, self._last)
        self._events.emit(event_type, message, progress=progress, details=details)
        self._last = progress


class RunningJob(Protocol):
    """The view of a running job that a job kind's ``run`` function needs."""

    ctx: TrainerContext
    request: JobRequest
    phases: Phases

    @property
    def job_id(self) -> str:
        """The id of the job."""
        ...

    def check_cancelled(self) -> None:
        """Raise JobCancelled if a cancel was requested (call it between phases)."""
        ...

    def elapsed_s(self) -> float:
        """Seconds since the job started."""
        ...
