"""Where the Kafka cluster is and how clients talk to it: one settings object, three client factories.

Every service builds its producers, consumers and admin clients here, so latency-relevant
defaults live in one place: no batching delay, fetches answered on the first byte, ``acks=all`` and manual
offset commits for consumer groups (a scorer commits only after its reply is acknowledged).
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["KafkaSettings", "make_admin", "make_consumer", "make_producer"]


class KafkaSettings(BaseSettings):
    """Connection and topic settings, read from ``KAFKA_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    """Comma-separated ``host:port`` list of brokers (``KAFKA_BOOTSTRAP_SERVERS``)."""

    client_id: str = "spindrift"
    """Prefix of the client id every producer, consumer and admin client reports to the brokers."""

    security_protocol: str = "PLAINTEXT"
    """PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."""

    sasl_mechanism: str | None = None
    """SASL mechanism (e.g. PLAIN, SCRAM-SHA-512) when the protocol is SASL_*."""

    sasl_username: str | None = None
    """SASL user name."""

    sasl_password: SecretStr | None = None
    """SASL password (kept out of logs and reprs)."""

    ssl_cafile: str | None = None
    """CA bundle that signs the brokers' certificates, for SSL and SASL_SSL."""

    request_timeout_ms: int = Field(default=30_000, ge=1_000)
    """How long a client waits for one broker response before retrying or failing."""

    max_block_ms: int = Field(default=15_000, ge=100)
    """How long ``send()`` may block waiting for metadata, e.g. when a topic does not exist (auto-creation is off)."""

    score_partitions: int = Field(default=4, ge=1)
    """Partitions of ``score.requests``: the most scorer processes that can share the load."""

    replication_factor: int = Field(default=1, ge=1)
    """Replication factor for the topics ``ensure_topics`` creates (1 for a single broker)."""

    def common_client_config(self) -> dict[str, Any]:
        """Options shared by every kafka-python client (connection and security)."""
        config: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()],
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
        }
        if self.sasl_mechanism:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_username
            config["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        if self.ssl_cafile:
            config["ssl_cafile"] = self.ssl_cafile
        return config


def make_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    """A producer tuned for request/reply latency: acks=all, no linger, idempotent; ``overrides`` win."""
    config = settings.common_client_config()
    config.update(
        client_id=f"{settings.client_id}-producer",
        acks="all",
        linger_ms=0,
        max_block_ms=settings.max_block_ms,
        retries=5,
    )
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(
    settings: KafkaSettings, *topics: str, group_id: str | None = None, **overrides: Any
) -> KafkaConsumer:
    """A consumer with short fetch waits; with ``group_id`` it joins that group with auto-commit off.

    Without topics it is left unsubscribed, for ``assign()``. A new group starts from the earliest
    offset so that requests written before the first consumer joined are still answered.
    """
    config = settings.common_client_config()
    config.update(
        client_id=f"{settings.client_id}-consumer",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # The broker answers a parked fetch as soon as one byte arrives (fetch_min_bytes=1), so a long
        # wait costs no latency; a short one only makes idle consumers spin (100 empty fetches/s each
        # at 10 ms), which on a 2-core box starved the request path itself.
        fetch_max_wait_ms=500,
        fetch_min_bytes=1,
    )
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def make_admin(settings: KafkaSettings, **overrides: Any) -> KafkaAdminClient:
    """An admin client for creating topics and checking that the cluster answers."""
    config = settings.common_client_config()
    config.update(client_id=f"{settings.client_id}-admin")
    config.update(overrides)
    return KafkaAdminClient(**config)
