"""Cancelling a job that is still queued behind a running one: it never starts, and the trainer goes on.

The module's one trainer is busy with a long (sleeping, cancellable) job; a second job queues
behind it and is cancelled there. Its history must end CANCELLED in the ``queued`` phase with
no STARTED event, and after the long job is cancelled too the trainer takes the next job.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from spindrift.jobs import JobEvent, cancel_job, follow_job, submit_training

from .tutorial import tutorial_spec

pytestmark = [pytest.mark.kafka, pytest.mark.spark]


def test_a_cancelled_queued_job_never_starts_and_the_trainer_takes_the_next(trainer: Any, kafka_settings: Any) -> None:
    running = submit_training(
        kafka_settings, {"model": "sleepy", "function": "sleepy_tutorial", "params": {"sleep_s": 600}}
    )
    fitting = threading.Event()
    running_final: dict[str, JobEvent] = {}

    def on_running_event(event: JobEvent) -> None:
        if event.type == "PROGRESS" and event.message.startswith("fitting"):
            fitting.set()

    follower = threading.Thread(
        target=lambda: running_final.setdefault(
            "final", follow_job(kafka_settings, running, on_event=on_running_event, timeout=240)
        )
    )
    follower.start()
    assert fitting.wait(180), "the long job never reached its fitting phase"

    queued = submit_training(kafka_settings, tutorial_spec(model="queued-then-cancelled"))
    cancel_job(kafka_settings, queued)
    cancel_job(kafka_settings, running)
    follower.join(120)
    assert running_final.get("final") is not None and running_final["final"].type == "CANCELLED"

    history: list[JobEvent] = []
    final = follow_job(kafka_settings, queued, on_event=history.append, timeout=120)
    assert final.type == "CANCELLED", final
    assert final.message == "cancelled before it started" and (final.details or {}).get("phase") == "queued"
    assert [e.type for e in history] == ["QUEUED", "CANCELLED"], "a cancelled queued job must never start"

    # The trainer is free: the next job runs (and fails fast on its unknown stage).
    after = submit_training(kafka_settings, tutorial_spec(pipeline=[{"stage": "Nope", "params": {}}]))
    assert follow_job(kafka_settings, after, timeout=120).type == "FAILED"
