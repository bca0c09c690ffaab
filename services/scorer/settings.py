"""Scorer settings: pydantic ``BaseSettings`` read from ``SCORER_*`` environment variables.

Kafka connection settings live in :class:`spindrift.kafka.settings.KafkaSettings`
(``KAFKA_*``); these are only the scorer's own knobs.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_scorer_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ScorerSettings(BaseSettings):
    """Everything a scorer process needs besides the Kafka connection."""

    model_config = SettingsConfigDict(env_prefix="SCORER_", extra="ignore")

    group_id: str = "spindrift-scorers"
    """Kafka consumer group shared by every scorer; partitions of score.requests are split among its members."""

    requests_topic: str = "score.requests"
    """Topic the scorers consume requests from (override only to isolate a test or a tenant)."""

    dlq_topic: str = "score.dlq"
    """Dead-letter topic for records that cannot be decoded."""

    batching: bool = True
    """Micro-batch requests into one vectorised call; off scores each poll's records as they come, without waiting."""

    max_batch_rows: int = Field(default=512, ge=1)
    """Upper bound on rows scored in one data-plane call (a single larger request is still scored whole)."""

    max_wait_ms: float = Field(default=2.0, ge=0.0)
    """How long a small batch may wait for more requests before it is scored anyway."""

    max_request_rows: int = Field(default=10_000, ge=1)
    """Most rows one request may carry; a larger one gets an INVALID_INPUT reply saying to split it."""

    max_request_bytes: int = Field(default=1_048_576, ge=1)
    """Largest request record accepted (bytes); a larger one gets an INVALID_INPUT reply saying to split it."""

    max_reply_bytes: int = Field(default=1_000_000, ge=1_000)
    """Largest reply sent (bytes; librdkafka's default message.max.bytes). A larger one is replaced by a
    REPLY_TOO_LARGE error reply; so is one the broker refuses (a topic with a smaller max.message.bytes)."""

    loading_wait_s: float = Field(default=5.0, ge=0.0)
    """How long a request for a version that is published but still loading on this scorer waits before an error reply."""

    session_timeout_ms: int = Field(default=6_000, ge=1_000)
    """How soon the group gives a dead scorer's partitions to the others (the broker's minimum is usually 6000).

    Measured (kill -9 of one of two scorers at 150 req/s): 10000 left the worst request waiting 11.6 s
    (119 of 4,503 over the SDK's 10 s default timeout); 6000 brought it to 6.9 s, none over."""

    assignment_strategy: str = "cooperative-sticky"
    """librdkafka ``partition.assignment.strategy``: ``cooperative-sticky`` moves only a dead or new scorer's
    partitions, so the others keep answering during a rebalance (``range,roundrobin`` stops every member)."""

    missing_topic_ms: int = Field(default=3_000, ge=100)
    """How long to wait for a reply topic's metadata before deciding it does not exist and dead-lettering the request."""

    metrics_host: str = "127.0.0.1"
    """Address /metrics and /health/* listen on; containers set 0.0.0.0 so Prometheus can scrape them."""

    metrics_port: int = Field(default=0, ge=0, le=65535)
    """Port of /metrics and /health/*; 0 picks a free port, which the scorer logs at start."""

    cache_dir: Path | None = None
    """Where model artifacts are unpacked; None means a fresh temporary directory per process."""

    scorer_id: str = Field(default_factory=_default_scorer_id)
    """Name this scorer puts in every reply (default: host-pid)."""

    @field_validator("group_id", "requests_topic", "dlq_topic", "scorer_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value
