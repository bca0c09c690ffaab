"""Wait until a Kafka cluster answers a metadata request, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from spindrift.kafka.settings import KafkaSettings, make_admin

__all__ = ["ClusterUnavailable", "wait_for_cluster"]


class ClusterUnavailable(RuntimeError):
    """No broker answered a metadata request before the deadline."""


# While probing, connection refusals are expected until the broker listens: librdkafka would print
# each one (and back off up to 10 s between tries); quiet logs and short backoffs instead. A real
# failure is still reported by ClusterUnavailable with the last error seen.
_PROBE_OVERRIDES = {"log_level": 0, "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500}


def wait_for_cluster(
    settings: KafkaSettings,
    timeout_s: float = 30.0,
    *,
    still_starting: Callable[[], bool] | None = None,
) -> dict[str, object]:
    """Poll the cluster with a metadata request until it answers; returns ``{"brokers": [...], "cluster_id": ...}``.

    ``still_starting`` lets a caller that launched the broker stop waiting as soon as the
    broker process has died. Raises ``ClusterUnavailable`` naming the address and the last error;
    a wrong setting (a ``KafkaException`` from the client's configuration) is raised at once.
    """
    admin = make_admin(settings, _PROBE_OVERRIDES, client_id=f"{settings.client_id}-probe")
    deadline = time.monotonic() + timeout_s
    last_error: Any = None
    while time.monotonic() < deadline:
        if still_starting is not None and not still_starting():
            raise ClusterUnavailable(f"the broker at {settings.bootstrap_servers} stopped while starting")
        remaining = deadline - time.monotonic()
        try:
            metadata = admin.list_topics(timeout=max(0.1, min(remaining, 2.0)))
        except KafkaException as exc:
            last_error = _reason(exc)
            continue  # list_topics itself waited; ask again until the deadline
        if metadata.brokers:
            return {
                "brokers": [{"node_id": b.id, "host": b.host, "port": b.port} for b in metadata.brokers.values()],
                "cluster_id": metadata.cluster_id,
                "controller_id": metadata.controller_id,
            }
        last_error = "cluster answered without brokers"
        time.sleep(0.1)  # polling interval
    raise ClusterUnavailable(
        f"no Kafka broker answered at {settings.bootstrap_servers} within {timeout_s:.0f} s "
        f"(last error: {last_error}); start one with `make kafka` or set KAFKA_BOOTSTRAP_SERVERS"
    )


def _reason(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, KafkaError) else str(exc)
