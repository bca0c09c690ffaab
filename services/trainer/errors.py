"""The exceptions the trainer raises on purpose, all in one place.

    JobError                 a job cannot complete; the message is shown to the submitter as is
    ├── SpecError            the request itself is wrong (unknown stage, bad param, bad shape)
    ├── DataError            the data cannot be used (path outside the data roots, unreadable topic)
    └── JobCancelled         a CANCEL request stopped the job

Each carries the job ``phase`` it happened in when known, so a FAILED event says where.
"""

from __future__ import annotations


class JobError(Exception):
    """A job cannot complete; ``str(error)`` is a message written for the person who submitted it."""

    def __init__(self, message: str, *, phase: str | None = None) -> None:
        self.message = message
        self.phase = phase
        super().__init__(message)

    def in_phase(self, phase: str) -> JobError:
        """Record the phase where the error surfaced, unless an inner one was already recorded."""
        if self.phase is None:
            self.phase = phase
        return self


class SpecError(JobError):
    """The job spec is invalid: names the stage, param or field at fault and what is allowed."""


class DataError(JobError):
    """The job's data cannot be read or is not allowed (e.g. a path outside the data roots)."""


class JobCancelled(JobError):
    """The job was cancelled by a CANCEL request while it ran or before it started."""


def readable_message(exc: BaseException, limit: int = 500) -> str:
    """The readable head of an exception's message: Spark's carry a JVM stack trace after it."""
    text = str(exc).strip() or type(exc).__name__
    head = text.split("\n\nJVM stacktrace", 1)[0].strip()
    head = head.split("\n\tat ", 1)[0].strip()
    return head if len(head) <= limit else head[: limit - 1] + "…"
