"""Wait until a Kafka cluster answers a metadata request, with a deadline."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

from kafka.errors import KafkaConfigurationError, KafkaError

from spindrift.kafka.settings import KafkaSettings, make_admin

__all__ = ["ClusterUnavailable", "wait_for_cluster"]


class ClusterUnavailable(RuntimeError):
    """No broker answered a metadata request before the deadline."""


def wait_for_cluster(
    settings: KafkaSettings,
    timeout_s: float = 30.0,
    *,
    still_starting: Callable[[], bool] | None = None,
) -> dict[str, object]:
    """Poll the cluster with an admin metadata call until it answers; returns the cluster description.

    ``still_starting`` lets a caller that launched the broker stop waiting as soon as the
    broker process has died. Raises ``ClusterUnavailable`` naming the address and the last error.
    """
    with _connection_errors_expected():
        return _poll_until_answered(settings, timeout_s, still_starting)


@contextlib.contextmanager
def _connection_errors_expected() -> Iterator[None]:
    """Mute kafka-python's connection logs while probing: refusals are expected until the broker listens.

    Without this every wait printed ERROR lines (ECONNREFUSED, "Unable to bootstrap") for a broker
    that then started fine; a real failure is still reported by ``ClusterUnavailable``.
    """
    net_logger = logging.getLogger("kafka.net")
    previous = net_logger.level
    net_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        net_logger.setLevel(previous)


def _poll_until_answered(
    settings: KafkaSettings, timeout_s: float, still_starting: Callable[[], bool] | None
) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        if still_starting is not None and not still_starting():
            raise ClusterUnavailable(f"the broker at {settings.bootstrap_servers} stopped while starting")
        remaining_ms = max(500, int((deadline - time.monotonic()) * 1000))
        try:
            admin = make_admin(
                settings,
                bootstrap_timeout_ms=min(remaining_ms, 2_000),
                request_timeout_ms=min(remaining_ms, 5_000),
                reconnect_backoff_ms=50,
            )
        except KafkaConfigurationError:
            raise  # a wrong setting will not fix itself by waiting
        except (KafkaError, OSError) as exc:
            last_error = exc
            time.sleep(0.1)  # polling interval between connection attempts
            continue
        try:
            cluster = admin.describe_cluster()
            if cluster.get("brokers"):
                return dict(cluster)
            last_error = RuntimeError("cluster answered without brokers")
        except (KafkaError, OSError) as exc:
            last_error = exc
        finally:
            admin.close()
        time.sleep(0.1)  # polling interval
    raise ClusterUnavailable(
        f"no Kafka broker answered at {settings.bootstrap_servers} within {timeout_s:.0f} s "
        f"(last error: {last_error}); start one with `make kafka` or set KAFKA_BOOTSTRAP_SERVERS"
    )
