"""Readiness probe: does Kafka answer, and how many scorers are in their consumer group?

One confluent-kafka ``AdminClient`` describes the scorer group, refreshed every ``health_cache_s``
on a background thread: readiness checks and the requests that consult it read the latest answer
and never wait for a broker round trip (nor for a 2 s timeout while Kafka is down).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from spindrift.kafka.settings import KafkaSettings

__all__ = ["ClusterProbe", "ProbeResult"]


@dataclass(frozen=True)
class ProbeResult:
    """One readiness observation."""

    kafka_ok: bool
    scorers: int
    message: str
    at: float

    @property
    def ready(self) -> bool:
        """Kafka answers and at least one scorer is a member of the group."""
        return self.kafka_ok and self.scorers > 0


class ClusterProbe:
    """Asks the cluster about the scorer group, at most once per ``cache_s``."""

    def __init__(self, settings: KafkaSettings, group_id: str, *, cache_s: float = 1.0, timeout_s: float = 2.0) -> None:
        self._settings = settings
        self._group_id = group_id
        self._cache_s = cache_s
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._last: ProbeResult | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        config = settings.librdkafka_config()
        config["client.id"] = f"{settings.client_id}-gateway-probe"
        self._admin = AdminClient(config)

    def start(self) -> ClusterProbe:
        """Refresh the answer every ``cache_s`` on a daemon thread, so :meth:`check` never waits for Kafka."""
        self._thread = threading.Thread(target=self._refresh_forever, name="gateway-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop refreshing."""
        self._stop.set()

    def check(self) -> ProbeResult:
        """The latest answer; asks Kafka now only when there is none yet or the refresher is not running."""
        with self._lock:
            last = self._last
            fresh = last is not None and time.monotonic() - last.at < self._cache_s
            if last is not None and (fresh or self._thread is not None):
                return last
            self._last = self._ask()
            return self._last

    def _refresh_forever(self) -> None:
        while not self._stop.is_set():
            result = self._ask()
            with self._lock:
                self._last = result
            self._stop.wait(self._cache_s)

    def _ask(self) -> ProbeResult:
        now = time.monotonic()
        try:
            futures = self._admin.describe_consumer_groups([self._group_id], request_timeout=self._timeout_s)
            description = futures[self._group_id].result(timeout=self._timeout_s + 1.0)
        except KafkaException as exc:
            if _broker_answered(exc):
                return ProbeResult(
                    True, 0, f"Kafka answers but cannot describe group {self._group_id!r} yet: {_reason(exc)}", now
                )
            return ProbeResult(
                False,
                0,
                f"Kafka at {self._settings.bootstrap_servers} did not answer: {_reason(exc)}",
                now,
            )
        except (TimeoutError, OSError) as exc:
            return ProbeResult(
                False,
                0,
                f"Kafka at {self._settings.bootstrap_servers} did not answer: {_reason(exc)}",
                now,
            )
        members = len(description.members or [])
        if members == 0:
            return ProbeResult(True, 0, f"no scorer is running (consumer group {self._group_id!r} has no members)", now)
        return ProbeResult(True, members, f"{members} scorer(s) in group {self._group_id!r}", now)


# A broker answered with these: the group's coordinator is still being elected or loaded (a fresh
# cluster's first seconds). Kafka is reachable; the scorer count is simply not known yet.
_COORDINATOR_STARTING = frozenset(
    {KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError.NOT_COORDINATOR}
)


def _broker_answered(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    code = error.code() if isinstance(error, KafkaError) else None
    return code in _COORDINATOR_STARTING


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KafkaException) and exc.args:
        error = exc.args[0]
        text = getattr(error, "str", None)
        return str(text()) if callable(text) else str(error)
    return str(exc) or type(exc).__name__
