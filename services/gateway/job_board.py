"""Job state folded from ``train.events``: one ``JobView`` per job id, plus live subscribers per job.

The board is fed by a :class:`spindrift.kafka.follow.TopicFollower` (its thread calls
:meth:`JobBoard.apply`); routes read copies. Duplicated events (same job, same seq) are
dropped, so an at-least-once re-delivery never shows twice. Subscribers (the SSE route) get
each new event of their job through a callback, after the events already known.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from spindrift import wire
from spindrift.jobs import TERMINAL_TYPES, JobEvent
from spindrift.kafka.records import Record

__all__ = ["JOB_STATES", "JobBoard", "JobView", "state_after"]

log = logging.getLogger(__name__)

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")

_STATE_OF_TERMINAL = {"PUBLISHED": "succeeded", "FAILED": "failed", "CANCELLED": "cancelled"}

OnJobEvent = Callable[[JobEvent], None]


def state_after(event_type: str) -> str:
    """The job state once an event of ``event_type`` has happened."""
    if event_type in _STATE_OF_TERMINAL:
        return _STATE_OF_TERMINAL[event_type]
    return "queued" if event_type == "QUEUED" else "running"


@dataclass(frozen=True)
class JobView:
    """What is known of one job: its events in seq order and what they add up to."""

    job_id: str
    kind: str | None
    state: str
    events: tuple[JobEvent, ...]
    model: str | None = None
    version: int | None = None
    servable: bool | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None
    progress: float | None = None
    created_at_ms: int = 0
    updated_at_ms: int = 0

    @property
    def terminal(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.state in ("succeeded", "failed", "cancelled")


@dataclass
class _Job:
    events: dict[int, JobEvent] = field(default_factory=dict)
    view: JobView | None = None


def _fold(job_id: str, events: dict[int, JobEvent]) -> JobView:
    ordered = tuple(events[s] for s in sorted(events))
    view = JobView(job_id=job_id, kind=None, state="queued", events=ordered)
    terminal_seen = False
    for event in ordered:
        details = event.details or {}
        changes: dict[str, Any] = {"updated_at_ms": event.at_ms}
        if event.seq == 0 or not view.created_at_ms:
            changes["created_at_ms"] = event.at_ms
        if "kind" in details and isinstance(details["kind"], str):
            changes["kind"] = details["kind"].lower()
        if isinstance(details.get("model"), str):
            changes["model"] = details["model"]
        if isinstance(details.get("version"), int):
            changes["version"] = details["version"]
        if isinstance(details.get("servable"), bool):
            changes["servable"] = details["servable"]
        if event.type == "EVALUATED" and details:
            changes["metrics"] = {k: v for k, v in details.items() if isinstance(v, (int, float))}
        if isinstance(details.get("metrics"), dict):
            changes["metrics"] = details["metrics"]
        if event.progress is not None:
            changes["progress"] = event.progress
        if not terminal_seen:  # a late non-terminal event (a stale worker) never reopens a finished job
            changes["state"] = state_after(event.type)
            if event.type == "FAILED":
                changes["error"] = event.message
            terminal_seen = event.type in TERMINAL_TYPES
        view = replace(view, **changes)
    return view


class JobBoard:
    """Every job seen on ``train.events``; thread-safe."""

    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)
        self._subscribers: dict[str, dict[int, OnJobEvent]] = {}
        self._ids = itertools.count()

    def apply_record(self, record: Record) -> None:
        """Decode one ``train.events`` record and apply it (undecodable records are logged and skipped)."""
        try:
            _name, decoded = wire.decode(record.value or b"", record.headers, expected="JobEvent")
            event = JobEvent.from_record(decoded)
        except (wire.WireError, KeyError, TypeError, ValueError) as exc:
            log.warning("skipping undecodable job event %s: %s", record.coordinates, exc)
            return
        self.apply(event)

    def apply(self, event: JobEvent) -> None:
        """Fold one event into its job and pass it to the job's subscribers (a duplicate seq is ignored)."""
        with self._lock:
            job = self._jobs.setdefault(event.job_id, _Job())
            if event.seq in job.events:
                return
            job.events[event.seq] = event
            job.view = _fold(event.job_id, job.events)
            listeners = list(self._subscribers.get(event.job_id, {}).values())
            self._seen.notify_all()
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a subscriber of job %s failed", event.job_id)

    def get(self, job_id: str) -> JobView | None:
        """The job's current view, or None when no event of it was seen."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.view if job is not None else None

    def wait_seen(self, job_id: str, timeout: float) -> JobView | None:
        """Block until at least one event of ``job_id`` was applied (or ``timeout``); its view or None."""
        with self._seen:
            self._seen.wait_for(lambda: job_id in self._jobs, timeout)
            job = self._jobs.get(job_id)
            return job.view if job is not None else None

    def list(self, *, state: str | None = None, model: str | None = None) -> list[JobView]:
        """Jobs matching the filters, newest first."""
        with self._lock:
            views = [job.view for job in self._jobs.values() if job.view is not None]
        matching = [v for v in views if (state is None or v.state == state) and (model is None or v.model == model)]
        return sorted(matching, key=lambda v: (v.created_at_ms, v.job_id), reverse=True)

    def subscribe(self, job_id: str, listener: OnJobEvent) -> tuple[int, tuple[JobEvent, ...]]:
        """Register ``listener`` for new events of ``job_id``; returns a token and the events known so far.

        Both happen under one lock, so no event falls between the snapshot and the first callback.
        """
        with self._lock:
            token = next(self._ids)
            self._subscribers.setdefault(job_id, {})[token] = listener
            job = self._jobs.get(job_id)
            return token, (job.view.events if job is not None and job.view is not None else ())

    def unsubscribe(self, job_id: str, token: int) -> None:
        """Stop calling the listener registered under ``token``."""
        with self._lock:
            listeners = self._subscribers.get(job_id, {})
            listeners.pop(token, None)
            if not listeners:
                self._subscribers.pop(job_id, None)
