"""The trainer's Prometheus metrics, defined once per process (the default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOBS = Counter(
    "spindrift_trainer_jobs",
    "Jobs finished, by kind (train, score_batch) and outcome (published, failed, cancelled, gave_up).",
    ["kind", "outcome"],
)
JOB_DURATION = Histogram(
    "spindrift_trainer_job_duration_seconds",
    "Wall time of a job from STARTED to its terminal event.",
    ["kind"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600),
)
QUEUE_DEPTH = Gauge(
    "spindrift_trainer_queue_depth",
    "Requests waiting on the partitions assigned to this trainer (consumer lag).",
)
SPARK_UP = Gauge("spindrift_trainer_spark_session_up", "1 while this trainer's SparkSession is usable, else 0.")
RUNNING = Gauge("spindrift_trainer_jobs_running", "Jobs running on this trainer now (0 or 1).")
