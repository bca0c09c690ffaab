"""kafka-python clients standing for a *user's* application: what interoperability tests produce and consume with.

Spindrift itself runs on librdkafka (confluent-kafka); these factories exist so tests can prove
that a record written or read by another Kafka client library works with the system. They
build kafka-python's configuration from :class:`KafkaSettings` the way a user would by hand.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from spindrift.kafka.settings import KafkaSettings

__all__ = ["user_admin", "user_consumer", "user_producer"]


def _connection(settings: KafkaSettings, role: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()],
        "security_protocol": settings.security_protocol,
        "request_timeout_ms": settings.request_timeout_ms,
        "client_id": f"{settings.client_id}-user-{role}",
    }
    if settings.sasl_mechanism:
        config["sasl_mechanism"] = settings.sasl_mechanism
        config["sasl_plain_username"] = settings.sasl_username
        config["sasl_plain_password"] = settings.sasl_password.get_secret_value() if settings.sasl_password else None
    if settings.ssl_cafile:
        config["ssl_cafile"] = settings.ssl_cafile
    return config


def user_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    """A kafka-python producer (``acks=all``); ``send(...).get(timeout)`` waits for the acknowledgement."""
    config = _connection(settings, "producer")
    config.update(acks="all", linger_ms=0, max_block_ms=15_000)
    config.update(overrides)
    return KafkaProducer(**config)


def user_consumer(
    settings: KafkaSettings, *topics: str, group_id: str | None = None, **overrides: Any
) -> KafkaConsumer:
    """A kafka-python consumer from the earliest offset, auto-commit off; unsubscribed without ``topics`` (for ``assign``)."""
    config = _connection(settings, "consumer")
    config.update(group_id=group_id, enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=500)
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def user_admin(settings: KafkaSettings, **overrides: Any) -> KafkaAdminClient:
    """A kafka-python admin client."""
    config = _connection(settings, "admin")
    config.update(overrides)
    return KafkaAdminClient(**config)
