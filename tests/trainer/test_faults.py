"""A trainer killed with SIGKILL mid-job: the job is re-run by the next trainer, or given up on — never stuck.

Trainers are real ``python -m services.trainer`` subprocesses in the test run's consumer group.
"""

from __future__ import annotations

import re
import uuid

import pytest

from spindrift.jobs import follow_job, submit_training
from spindrift.topology import Topology
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]


class _Reached(Exception):
    """Raised from on_event to stop following once the job reached the point we wait for."""


def _wait_until_fitting(kafka_settings, job_id, worker, timeout=240):
    """Follow the job until ``worker`` reports its fitting phase."""
    started = []

    def on_event(event):
        if event.type == "STARTED":
            started.append(event)
        if event.type == "PROGRESS" and event.worker == worker and event.message.startswith("fitting"):
            raise _Reached

    with pytest.raises(_Reached):
        follow_job(kafka_settings, job_id, on_event=on_event, timeout=timeout)
    return started


def _sleepy_job(kafka_settings, sleep_s):
    spec = {"model": f"killed-{uuid.uuid4().hex[:8]}", "function": "sleepy_tutorial", "params": {"sleep_s": sleep_s}}
    return submit_training(kafka_settings, spec)


def test_a_killed_trainers_job_is_rerun_then_given_up_after_max_attempts(kafka_settings, trainer_group, tmp_path):
    env = {
        "TRAINER_GROUP_ID": trainer_group,
        "TRAINER_FUNCTIONS_MODULE": "tests.trainer.functions",
        "TRAINER_PROGRESS_INTERVAL_S": "0.5",
        "SPARK_MASTER": "local[2]",
    }
    with Topology(kafka_settings, work_dir=tmp_path) as topology:
        first = topology.start_trainer("trainer-a", **env)
        first.wait_ready(240)
        job = _sleepy_job(kafka_settings, sleep_s=6)
        _wait_until_fitting(kafka_settings, job, "trainer-a")
        first.kill()

        # The killed trainer never committed the request: the next one re-runs it to the end.
        second = topology.start_trainer("trainer-b", **env)
        events = []
        final = follow_job(kafka_settings, job, on_event=events.append, timeout=300)
        assert final.type == "PUBLISHED", final.message
        started = [e for e in events if e.type == "STARTED"]
        assert [(e.worker, e.details["attempt"]) for e in started] == [("trainer-a", 1), ("trainer-b", 2)]
        assert final.worker == "trainer-b"
        assert [e.seq for e in events] == list(range(len(events)))
        # The counter moves just after the PUBLISHED event is acknowledged; a fast reader sees the event first.
        published = r'spindrift_trainer_jobs_total\{kind="train",outcome="published"\} 1\.0'
        assert wait_until(lambda: re.search(published, second.metrics()), 10), second.metrics()
        metrics = second.metrics()
        assert "spindrift_trainer_spark_session_up 1.0" in metrics

        # Killed again on its only allowed attempt: the next trainer marks it FAILED instead of re-running.
        doomed = _sleepy_job(kafka_settings, sleep_s=600)
        _wait_until_fitting(kafka_settings, doomed, "trainer-b")
        second.kill()
        topology.start_trainer("trainer-c", **env, TRAINER_MAX_ATTEMPTS="1")
        final = follow_job(kafka_settings, doomed, timeout=300)
        assert final.type == "FAILED"
        assert final.message.startswith("gave up after 1 attempts") and final.worker == "trainer-c"
        assert "the last attempt got as far as: fitting" in final.message, final.message
