"""Where the Kafka cluster is and how clients talk to it: one settings object, the client factories.

Every service and the SDK build their producers, consumers and admin clients here, with one
client library, confluent-kafka (librdkafka), and one settings adapter,
:meth:`KafkaSettings.librdkafka_config`: the only place that turns Spindrift settings into
librdkafka properties. Latency-relevant defaults live here too: no batching delay, fetches
answered on the first byte, ``acks=all`` and manual offset commits for consumer groups (a
scorer commits only after its reply is acknowledged, a trainer after its job's outcome).

librdkafka replaced kafka-python everywhere: on a 2-core machine kafka-python spent ~2 ms of CPU
per produced message against librdkafka's ~0.4 ms, and its 3.0 consumer could hang on a second
rebalance (see :mod:`spindrift.kafka.group`). kafka-python remains only as a *user's* client in
the interoperability tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "FAST_CONSUMER_DEFAULTS",
    "FAST_PRODUCER_DEFAULTS",
    "KafkaSettings",
    "close_producer",
    "make_admin",
    "make_consumer",
    "make_producer",
]

# librdkafka producer defaults for request/reply latency.
FAST_PRODUCER_DEFAULTS: dict[str, Any] = {
    "linger.ms": 0,  # send at once: a reply waiting for company is a slower reply
    "acks": "all",
    # No duplicates or reordering from librdkafka's own retries (needs acks=all, which we have).
    "enable.idempotence": True,
    "socket.nagle.disable": True,  # small records must not wait for Nagle's algorithm
    # librdkafka producers ask brokers to auto-create unknown topics by default: a misspelt reply
    # topic must stay missing (and its request dead-lettered) even on a broker that allows it.
    "allow.auto.create.topics": False,
}

# librdkafka consumer defaults: fetches answered on the first byte, offsets committed by hand only.
FAST_CONSUMER_DEFAULTS: dict[str, Any] = {
    # The broker answers a parked fetch as soon as one byte arrives (fetch.min.bytes=1), so a long
    # wait costs no latency; a short one only makes idle consumers spin on a 2-core box.
    "fetch.wait.max.ms": 500,
    "fetch.min.bytes": 1,
    # Commits happen only after a batch's output is acknowledged, with explicit offsets: neither a
    # timer nor the position of consume() may commit (or store) anything on their own.
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    # A new group starts from the earliest offset so requests written before the first consumer joined are answered.
    "auto.offset.reset": "earliest",
    "allow.auto.create.topics": False,  # topics are created on purpose (ensure_topics), never by a typo
    "socket.nagle.disable": True,
}


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

    connect_timeout_s: float = Field(default=30.0, gt=0)
    """How long a service waits at start-up for a broker to answer before it exits with an error."""

    score_partitions: int = Field(default=4, ge=1)
    """Partitions of ``score.requests``: the most scorer processes that can share the load."""

    replication_factor: int = Field(default=1, ge=1)
    """Replication factor for the topics ``ensure_topics`` creates (1 for a single broker)."""

    def librdkafka_config(self) -> dict[str, Any]:
        """Connection and security options as librdkafka properties: the one settings-to-client adapter."""
        config: dict[str, Any] = {
            "bootstrap.servers": ",".join(s.strip() for s in self.bootstrap_servers.split(",") if s.strip()),
            "client.id": self.client_id,
            "security.protocol": self.security_protocol,
            # librdkafka's name for how long one broker request may take before it is retried or failed.
            "socket.timeout.ms": self.request_timeout_ms,
        }
        if self.sasl_mechanism:
            config["sasl.mechanism"] = self.sasl_mechanism
            if self.sasl_username is not None:
                config["sasl.username"] = self.sasl_username
            if self.sasl_password is not None:
                config["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_cafile:
            config["ssl.ca.location"] = self.ssl_cafile
        return config


def make_producer(
    settings: KafkaSettings, overrides: Mapping[str, Any] | None = None, *, client_id: str | None = None
) -> Producer:
    """A librdkafka producer tuned for latency: acks=all, no linger, idempotent.

    ``overrides`` are librdkafka properties (``{"message.timeout.ms": 5000}``) and win over the
    defaults. The caller must serve delivery callbacks with ``poll()`` or ``flush()``.
    """
    config = settings.librdkafka_config()
    config["client.id"] = client_id or f"{settings.client_id}-producer"
    config.update(FAST_PRODUCER_DEFAULTS)
    # Bounds one produce request's wait for its acks.
    config["request.timeout.ms"] = settings.request_timeout_ms
    config.update(overrides or {})
    return Producer(config)


def make_consumer(
    settings: KafkaSettings,
    *,
    group_id: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    client_id: str | None = None,
) -> Consumer:
    """A consumer with first-byte fetches and manual commits; ``overrides`` are librdkafka properties.

    Without ``group_id`` it gets a private, never-committed group name: librdkafka requires one,
    and a consumer that only ``assign()`` s partitions never joins it.
    """
    config = settings.librdkafka_config()
    config["client.id"] = client_id or f"{settings.client_id}-consumer"
    config["group.id"] = group_id or f"{settings.client_id}-unjoined-{uuid.uuid4().hex}"
    config.update(FAST_CONSUMER_DEFAULTS)
    config.update(overrides or {})
    return Consumer(config)


def close_producer(producer: Producer, timeout_s: float) -> int:
    """Wait up to ``timeout_s`` for outstanding deliveries, drop what is left, and release the producer.

    Returns how many records were dropped unacknowledged. ``close()`` alone would wait for every
    record up to its ``message.timeout.ms`` (minutes by default) when the broker is gone.
    """
    remaining = producer.flush(timeout_s)
    if remaining:
        producer.purge()  # their delivery reports say _PURGE_QUEUE / _PURGE_INFLIGHT
        producer.poll(0)
    producer.close()
    return remaining


def make_admin(
    settings: KafkaSettings, overrides: Mapping[str, Any] | None = None, *, client_id: str | None = None
) -> AdminClient:
    """An admin client (topics, cluster and group descriptions, committed offsets); nothing to close."""
    config = settings.librdkafka_config()
    config["client.id"] = client_id or f"{settings.client_id}-admin"
    config.update(overrides or {})
    return AdminClient(config)
