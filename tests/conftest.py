"""Shared fixtures: a real SparkSession for parity tests (started once per test session)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local SparkSession for every test that needs Spark."""
    from spindrift.spark import start_session

    session = start_session("spindrift-tests", "local[2]")
    yield session
    session.stop()


def _docker_answers() -> bool:
    """Whether a Docker engine answers a ping (testcontainers needs one)."""
    try:
        import docker  # installed with testcontainers

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_settings() -> Iterator[object]:
    """KafkaSettings for a real broker, shared by the whole test session.

    ``KAFKA_BOOTSTRAP_SERVERS`` picks an existing cluster; ``SPINDRIFT_TEST_KAFKA=testcontainers``
    asks for testcontainers' Kafka (needs a Docker engine and its image); else an embedded
    single-node broker started from the Maven jars. Testcontainers is opt-in: a Docker engine
    that merely runs (e.g. for the compose tests) must not change which broker the suite uses,
    and no container registry may be reachable to pull the image.
    Tests create their own topics (``ensure_topics``; auto-creation is off) and use unique
    topic names or group ids where they could interfere.
    """
    from spindrift.kafka.readiness import wait_for_cluster
    from spindrift.kafka.settings import KafkaSettings

    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        settings = KafkaSettings()
        wait_for_cluster(settings, timeout_s=30)
        yield settings
    elif os.environ.get("SPINDRIFT_TEST_KAFKA") == "testcontainers":
        if not _docker_answers():
            pytest.fail("SPINDRIFT_TEST_KAFKA=testcontainers needs a running Docker engine (docker info fails)")
        try:
            from testcontainers.community.kafka import KafkaContainer
        except ImportError:  # testcontainers < 4.10 keeps it at the old path
            from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            settings = KafkaSettings(bootstrap_servers=container.get_bootstrap_server())
            wait_for_cluster(settings, timeout_s=60)
            yield settings
    else:
        from spindrift.kafka.embedded import EmbeddedKafka

        with EmbeddedKafka() as broker:
            yield broker.settings()
