"""Trainer settings: pydantic ``BaseSettings`` read from ``TRAINER_*`` variables (plus ``SPARK_MASTER``).

Kafka connection settings live in :class:`spindrift.kafka.settings.KafkaSettings`
(``KAFKA_*``); these are only the trainer's own knobs. The Spark master is read from
``SPARK_MASTER`` (the name Spark users already know) or ``TRAINER_SPARK_MASTER``, so the
same worker drives a cluster without code changes.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_worker_name() -> str:
    return f"trainer-{socket.gethostname()}-{os.getpid()}"


def _split_roots(value: Any) -> Any:
    """Accept a JSON list or an ``os.pathsep``-separated string, as PATH-like variables are."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part for part in text.split(os.pathsep) if part.strip()]
    return value


class TrainerSettings(BaseSettings):
    """Everything a trainer process needs besides the Kafka connection."""

    model_config = SettingsConfigDict(env_prefix="TRAINER_", extra="ignore", populate_by_name=True)

    spark_master: str = Field(default="local[*]", validation_alias=AliasChoices("SPARK_MASTER", "TRAINER_SPARK_MASTER"))
    """Spark master URL: ``local[*]`` by default; ``spark://...``, ``yarn`` or ``k8s://...`` for a cluster."""

    spark_conf: dict[str, str] = Field(default_factory=dict)
    """Extra Spark configuration as a JSON object, e.g. ``{"spark.executor.memory": "4g"}``."""

    app_name: str = "spindrift-trainer"
    """Spark application name shown in the Spark UI and cluster manager."""

    group_id: str = "spindrift-trainers"
    """Kafka consumer group shared by every trainer; each job goes to exactly one member."""

    requests_topic: str = "train.requests"
    """Topic the trainers consume job requests from (override only to isolate a test)."""

    events_topic: str = "train.events"
    """Topic job events are written to (override only to isolate a test)."""

    dlq_topic: str = "train.dlq"
    """Dead-letter topic for train requests that cannot be decoded or that made the trainer raise."""

    worker_name: str = Field(default_factory=_default_worker_name)
    """Name this trainer puts in every job event (default: host-pid)."""

    data_roots: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Directories (or URI prefixes such as ``s3a://bucket/data``) that job data and batch outputs must lie
    under; a JSON list or ``os.pathsep``-separated. Empty means file data is refused."""

    functions_module: str | None = None
    """Dotted module imported at start so its ``@training_function`` registrations are available."""

    driver_memory: str | None = None
    """Spark driver memory (``spark.driver.memory``, e.g. ``4g``); raise it when jobs fail with OutOfMemoryError."""

    max_job_duration_s: float = Field(default=4 * 3600.0, gt=0)
    """A job running longer is stopped and marked FAILED (the watchdog); its Spark JVM is restarted if it hangs."""

    max_attempts: int = Field(default=3, ge=1)
    """A job that has already been STARTED this many times (earlier trainers died) is marked FAILED."""

    certify_sample_size: int = Field(default=200, ge=1)
    """Rows scored by both Spark and sparkml_runtime for the parity certificate."""

    parity_rel_tol: float = Field(default=1e-9, gt=0)
    """Relative tolerance of the parity certificate for floating-point outputs."""

    parity_abs_tol: float = Field(default=1e-12, ge=0)
    """Absolute tolerance for values near zero, where a relative bound is meaningless."""

    manifest_sample_rows: int = Field(default=5, ge=1)
    """Input rows stored in the manifest for the scorers' warm-up validation."""

    topic_max_records: int = Field(default=100_000, ge=1)
    """Upper bound on records read from a Kafka topic snapshot used as training data."""

    progress_interval_s: float = Field(default=2.0, gt=0)
    """How often a running job reports Spark task progress."""

    metrics_host: str = "127.0.0.1"
    """Address /metrics and /health/* listen on; containers set 0.0.0.0 so Prometheus can scrape them."""

    metrics_port: int = Field(default=0, ge=0, le=65535)
    """Port of /metrics and /health/*; 0 picks a free port, which the trainer logs at start."""

    work_dir: Path | None = None
    """Where fitted models and downloaded artifacts are kept; None means a fresh temporary directory."""

    @field_validator("data_roots", mode="before")
    @classmethod
    def _parse_roots(cls, value: Any) -> Any:
        return _split_roots(value)

    @field_validator(
        "group_id", "requests_topic", "events_topic", "dlq_topic", "worker_name", "spark_master", "app_name"
    )
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value
