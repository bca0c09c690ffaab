"""A trainer that survives its Spark: a job past the watchdog's limit and a job that kills Spark's JVM
(OutOfMemoryError from HashingTF numFeatures 2^30) both end FAILED with a readable message, and the same
trainer process — Spark rebuilt when it died — publishes the next job.

The trainer is a real ``python -m services.trainer`` with a small driver (600m, the least Spark accepts),
so the out-of-memory death comes within seconds on this machine.
"""

from __future__ import annotations

import re
import uuid

import pytest

from spindrift.jobs import follow_job, submit_training
from spindrift.topology import Topology

from .tutorial import PIPELINE, tutorial_spec

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

MAX_JOB_S = 90  # above a normal tutorial job on a fresh JVM of this loaded 2-core box (30-40 s)


def test_watchdog_and_a_dead_jvm_end_jobs_failed_and_the_next_job_is_published(kafka_settings, trainer_group, tmp_path):
    env = {
        "TRAINER_GROUP_ID": trainer_group,
        "TRAINER_FUNCTIONS_MODULE": "tests.trainer.functions",
        "TRAINER_DRIVER_MEMORY": "600m",
        "TRAINER_MAX_JOB_DURATION_S": str(MAX_JOB_S),
        "SPARK_MASTER": "local[1]",
    }
    suffix = uuid.uuid4().hex[:8]
    with Topology(kafka_settings, work_dir=tmp_path) as topology:
        trainer = topology.start_trainer("spark-faults", **env)
        trainer.wait_ready(240)
        pid = trainer.pid

        # 1. The watchdog: a job that would run 10 minutes is stopped after MAX_JOB_S.
        sleepy = {"model": f"sleepy-{suffix}", "function": "sleepy_tutorial", "params": {"sleep_s": 600}}
        final = follow_job(kafka_settings, submit_training(kafka_settings, sleepy), timeout=MAX_JOB_S + 120)
        assert final.type == "FAILED", final.message
        assert "TRAINER_MAX_JOB_DURATION_S" in final.message and f"{MAX_JOB_S} s" in final.message, final.message

        # 2. Spark's JVM dies of OutOfMemoryError: a FAILED event that says so and what to change.
        pipeline = [dict(stage) for stage in PIPELINE]
        pipeline[1] = {"stage": "HashingTF", "params": {**PIPELINE[1]["params"], "numFeatures": 2**30}}
        oom = tutorial_spec(f"oom-{suffix}", pipeline=pipeline)
        final = follow_job(kafka_settings, submit_training(kafka_settings, oom), timeout=300)
        assert final.type == "FAILED", final.message
        assert "out of memory" in final.message and "TRAINER_DRIVER_MEMORY" in final.message, final.message
        assert "numFeatures=1073741824" in final.message and "Traceback" not in final.message, final.message

        # 3. The same process rebuilt Spark and publishes the next job.
        final = follow_job(
            kafka_settings, submit_training(kafka_settings, tutorial_spec(f"after-{suffix}")), timeout=300
        )
        assert final.type == "PUBLISHED", final.message
        assert trainer.pid == pid and trainer.is_ready()
        metrics = trainer.metrics()
        assert "spindrift_trainer_spark_session_up 1.0" in metrics, metrics
        assert re.search(r'spindrift_trainer_jobs_total\{kind="train",outcome="failed"\} 2\.0', metrics), metrics
        assert "Spark restarted" in trainer.log_tail(400)
