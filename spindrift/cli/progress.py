"""Follow a job to its end with a Rich progress bar fed by its server-sent events."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from spindrift.cli.api import Gateway, GatewayDown, GatewayError

__all__ = ["JobTimeout", "TERMINAL_STATES", "follow_job"]

TERMINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})
TERMINAL_EVENTS = frozenset({"PUBLISHED", "FAILED", "CANCELLED"})


class JobTimeout(TimeoutError):
    """The job did not end in time; ``job`` is its last known state."""

    def __init__(self, message: str, job: dict[str, Any]) -> None:
        super().__init__(message)
        self.job = job


def follow_job(gw: Gateway, job_id: str, timeout: float, console: Console) -> dict[str, Any]:
    """Show the job's progress until it ends; returns the job (``GET /v1/jobs/{id}``) in its final state.

    Raises GatewayError when the gateway fails (GatewayDown when it goes away) and
    JobTimeout when the job is still running after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"{job_id}: queued", total=100)
        try:
            for event in gw.job_events(job_id):
                kind = str(event.get("type") or event.get("_event") or "").upper()
                if event.get("progress") is not None:
                    progress.update(task, completed=float(event["progress"]) * 100)
                message = str(event.get("message") or "")
                progress.update(task, description=f"{kind.lower()} {message}".strip()[:70])
                if kind == "PUBLISHED":
                    progress.update(task, completed=100)
                if kind in TERMINAL_EVENTS or time.monotonic() > deadline:
                    break
        except GatewayDown:
            raise
        except GatewayError as exc:  # e.g. an older gateway without the event stream: poll instead
            progress.console.print(f"[yellow]event stream unavailable ({exc}); polling the job[/]")
        # The stream ends with the job; the job's own state is the authority (and covers a broken stream).
        while True:
            job = gw.job(job_id)
            if job.get("state") in TERMINAL_STATES:
                return job
            if time.monotonic() > deadline:
                raise JobTimeout(f"job {job_id} still {job.get('state')} after {timeout:.0f}s", job)
            if job.get("progress") is not None:
                progress.update(task, completed=float(job["progress"]) * 100)
            time.sleep(0.5)  # polling interval, only when the event stream failed or ended early
