"""The job runner: one job on its own thread, in phases, with Spark progress and cancellation.

A job runs under the Spark job group named by its id (``interruptOnCancel=True``), so a
cancel stops the Spark work in flight; the runner also checks for a cancel between phases.
While it runs, a progress thread reads ``sc.statusTracker()`` for the group and writes
PROGRESS events. Every way a job can end — success, a bad spec, a Spark error, a bug, a
cancel — ends in exactly one terminal event, and the worker keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import metrics
from .errors import JobCancelled, JobError, readable_message

if TYPE_CHECKING:
    from confluent_kafka import Producer
    from pyspark.sql import SparkSession

    from spindrift.kafka.settings import KafkaSettings

    from .batch import PublishedModels
    from .events import JobEvents
    from .settings import TrainerSettings

log = logging.getLogger(__name__)

KINDS = {"TRAIN": "train", "SCORE_BATCH": "score_batch"}
_CANCEL_REPEAT_S = 0.2


@dataclass(frozen=True)
class JobRequest:
    """A job as the worker received it: id, kind (TRAIN or SCORE_BATCH) and its spec as JSON text."""

    job_id: str
    kind: str
    spec_json: str
    submitted_at_ms: int = 0

    def spec(self) -> dict[str, Any]:
        """The spec decoded; a SpecError when it is not a JSON object."""
        from .spec import parse_json_object

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


class JobRunner:
    """Runs one job on a worker thread; the worker polls :attr:`done` and may call :meth:`cancel`."""

    def __init__(self, ctx: TrainerContext, request: JobRequest, events: JobEvents, attempt: int = 1) -> None:
        self.ctx = ctx
        self.request = request
        self.events = events
        self.attempt = attempt
        self.outcome: JobOutcome | None = None
        self.phases = Phases(events)
        self._cancel = threading.Event()
        self._abandoned: str | None = None
        self._timed_out: float | None = None
        self.spark_died = False
        """Set when the job failed because Spark's JVM died or stopped under it (the worker rebuilds Spark)."""
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{request.job_id}", daemon=True)
        self._progress = threading.Thread(target=self._report_progress, name=f"progress-{request.job_id}", daemon=True)
        self._started_at = 0.0

    @property
    def job_id(self) -> str:
        """The id of the job this runner runs."""
        return self.request.job_id

    @property
    def done(self) -> bool:
        """True once the terminal event has been written and acknowledged."""
        return self._finished.is_set()

    @property
    def kind(self) -> str:
        """The job's kind in metric-label form (train, score_batch)."""
        return KINDS.get(self.request.kind, self.request.kind.lower())

    def start(self) -> JobRunner:
        """Start the job and its progress reporter."""
        self._started_at = time.monotonic()
        metrics.RUNNING.set(1)
        self._thread.start()
        self._progress.start()
        return self

    def elapsed_s(self) -> float:
        """Seconds since the job started."""
        return time.monotonic() - self._started_at

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (or ``timeout`` passed); returns :attr:`done`."""
        return self._finished.wait(timeout)

    def cancel(self) -> None:
        """Ask the job to stop: cancels its Spark job group now and again until the job thread gives up."""
        if self._cancel.is_set():
            return
        log.info("cancelling job %s", self.job_id)
        self._cancel.set()
        threading.Thread(target=self._keep_cancelling, name=f"cancel-{self.job_id}", daemon=True).start()

    def abandon(self, reason: str) -> None:
        """Stop the job without a terminal event, so that another trainer re-runs it (shutdown, rebalance)."""
        self._abandoned = reason
        self.cancel()

    def time_out(self, limit_s: float) -> None:
        """The watchdog's stop: the job ends FAILED, saying it ran longer than ``limit_s``."""
        self._timed_out = limit_s
        self.cancel()

    @property
    def timed_out(self) -> bool:
        """Whether the watchdog stopped this job."""
        return self._timed_out is not None

    def check_cancelled(self) -> None:
        """Raise JobCancelled if a cancel was requested (called between phases)."""
        if self._cancel.is_set():
            raise JobCancelled("cancelled by request", phase=self.phases.name)

    # --- the job thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        sc = self.ctx.spark.sparkContext
        job_dir = self.ctx.work_dir / "jobs" / self.job_id
        outcome: JobOutcome
        try:
            sc.setJobGroup(self.job_id, f"spindrift {self.kind} job {self.job_id}", interruptOnCancel=True)
            self.events.emit(
                "STARTED",
                f"{self.kind} job started on {self.ctx.settings.worker_name} (attempt {self.attempt})",
                progress=0.0,
                details={"attempt": self.attempt, "kind": self.kind},
            )
            self.check_cancelled()
            outcome = self._dispatch(job_dir)
        except BaseException as exc:  # every ending must produce a terminal event
            try:
                outcome = self._failure(exc)
            except BaseException:  # e.g. py4j raising again while describing an error of a dead JVM
                log.exception("job %s: describing its failure failed", self.job_id)
                outcome = JobOutcome(
                    "failed", f"failed while {self.phases.name}: {type(exc).__name__}", {"phase": self.phases.name}
                )
        finally:
            with contextlib.suppress(Exception):  # a dead SparkContext must not keep the job from ending
                sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
            shutil.rmtree(job_dir, ignore_errors=True)
        self._finish(outcome)

    def _dispatch(self, job_dir: Path) -> JobOutcome:
        if self.request.kind == "TRAIN":
            from .training import run_training

            return run_training(self, job_dir)
        if self.request.kind == "SCORE_BATCH":
            from .batch import run_score_batch

            return run_score_batch(self, job_dir)
        raise JobError(f"unknown job kind {self.request.kind!r}; expected TRAIN or SCORE_BATCH", phase="starting")

    def _failure(self, exc: BaseException) -> JobOutcome:
        phase = getattr(exc, "phase", None) or self.phases.name
        if self._timed_out is not None:
            limit = self._timed_out
            return JobOutcome(
                "failed",
                f"failed while {phase}: stopped by the watchdog after running longer than {limit:g} s "
                "(TRAINER_MAX_JOB_DURATION_S); make the job smaller or raise the limit",
                {"phase": phase, "error": "JobTimeout"},
            )
        from spindrift.spark import session_alive

        if not isinstance(exc, JobError) and not session_alive(self.ctx.spark):
            self.spark_died = True
            return JobOutcome(
                "failed",
                f"failed while {phase}: {spark_death_message(exc, self.request.spec_json, self.ctx.settings)}",
                {"phase": phase, "error": "SparkDied"},
            )
        if self._cancel.is_set() or isinstance(exc, JobCancelled):
            return JobOutcome("cancelled", f"cancelled by request while {phase}", {"phase": phase})
        if isinstance(exc, JobError):
            message = exc.message
        else:
            if not isinstance(exc, Exception):
                log.error("job %s interrupted by %s", self.job_id, type(exc).__name__)
            else:
                log.exception("job %s failed while %s", self.job_id, phase)
            message = readable_message(exc)
        return JobOutcome("failed", f"failed while {phase}: {message}", {"phase": phase, "error": type(exc).__name__})

    def _finish(self, outcome: JobOutcome) -> None:
        if self._abandoned is not None and outcome.outcome != "published":
            outcome = JobOutcome("abandoned", f"stopped on this trainer ({self._abandoned}); it will be re-run")
            try:
                self.events.emit("PROGRESS", outcome.message)
            except Exception:
                log.debug("could not announce the hand-over of job %s", self.job_id, exc_info=True)
            self._record(outcome)
            return
        self.outcome = outcome
        terminal = {"published": "PUBLISHED", "failed": "FAILED", "cancelled": "CANCELLED"}[outcome.outcome]
        try:
            self.events.emit(
                terminal, outcome.message, progress=1.0 if terminal == "PUBLISHED" else None, details=outcome.details
            )
        except Exception:
            # Without an acknowledged terminal event the offset stays uncommitted: the job is
            # re-delivered to a trainer (or given up on after max_attempts), never left running.
            log.exception("job %s: could not write its %s event", self.job_id, terminal)
            self.outcome = JobOutcome("unrecorded", outcome.message)
        self._record(outcome)

    def _record(self, outcome: JobOutcome) -> None:
        if self.outcome is None:
            self.outcome = outcome
        metrics.JOBS.labels(self.kind, outcome.outcome).inc()
        metrics.JOB_DURATION.labels(self.kind).observe(time.monotonic() - self._started_at)
        metrics.RUNNING.set(0)
        self._finished.set()

    def _keep_cancelling(self) -> None:
        """Cancel the Spark job group repeatedly: an ML fit submits many Spark jobs one after another."""
        sc = self.ctx.spark.sparkContext
        while not self._finished.is_set():
            try:
                sc.cancelJobGroup(self.job_id)
            except Exception:
                log.debug("cancelJobGroup failed", exc_info=True)
            self._finished.wait(_CANCEL_REPEAT_S)

    # --- progress -------------------------------------------------------------------------------------
    def _report_progress(self) -> None:
        """Every few seconds, report the Spark stages of this job group that are running."""
        interval = self.ctx.settings.progress_interval_s
        seen_done: set[int] = set()
        while not self._finished.wait(interval):
            try:
                activity, completed = self._spark_status(seen_done)
            except Exception:
                continue  # the tracker is best effort; a missed report is harmless
            if activity is None and time.monotonic() - self.events.last_emit < 3 * interval:
                continue
            try:
                self.phases.report(activity, completed)
            except Exception:
                log.debug("progress event not written", exc_info=True)

    def _spark_status(self, seen_done: set[int]) -> tuple[str | None, int]:
        tracker = self.ctx.spark.sparkContext.statusTracker()
        completed = 0
        parts = []
        for job_id in tracker.getJobIdsForGroup(self.job_id):
            info = tracker.getJobInfo(job_id)
            if info is None:
                continue
            if info.status == "SUCCEEDED" and job_id not in seen_done:
                seen_done.add(job_id)
                completed += 1
            if info.status != "RUNNING":
                continue
            for stage_id in info.stageIds:
                stage = tracker.getStageInfo(stage_id)
                if stage is not None and stage.numActiveTasks + stage.numCompletedTasks > 0:
                    parts.append(
                        f"Spark job {job_id} stage {stage_id} {stage.numCompletedTasks}/{stage.numTasks} tasks"
                    )
        return ("; ".join(parts) if parts else None), completed


def spark_death_message(exc: BaseException, spec_json: str, settings: TrainerSettings) -> str:
    """What to tell the submitter when Spark died under their job: the likely cause and the knob to turn."""
    try:
        text = str(exc)
    except Exception:  # py4j asks the (dead) JVM for the message
        text = ""
    memory = settings.driver_memory or settings.spark_conf.get("spark.driver.memory") or "Spark's default, 1g"
    big = _large_size_params(spec_json)
    hint = f" ({', '.join(big)})" if big else ""
    if "OutOfMemoryError" in text or big:
        cause = f"Spark ran out of memory (java.lang.OutOfMemoryError){hint}"
    else:
        cause = f"Spark's JVM stopped ({type(exc).__name__}; often java.lang.OutOfMemoryError){hint}"
    return (
        f"{cause}; raise TRAINER_DRIVER_MEMORY (now {memory}) or lower numFeatures/vocabSize. "
        "The trainer restarted Spark and serves the next job."
    )


def _large_size_params(spec_json: str) -> list[str]:
    """``stage.param=value`` for feature-size params of the spec big enough to exhaust memory (≥ 2^22)."""
    import json

    try:
        spec = json.loads(spec_json)
    except ValueError:
        return []
    found = []
    for stage in spec.get("pipeline") or [] if isinstance(spec, dict) else []:
        params = stage.get("params") if isinstance(stage, dict) else None
        for name in ("numFeatures", "vocabSize"):
            value = params.get(name) if isinstance(params, dict) else None
            if isinstance(value, int) and value >= 1 << 22:
                found.append(f"{stage.get('stage')} {name}={value}")
    return found
