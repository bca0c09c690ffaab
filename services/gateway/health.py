"""Readiness probe: does Kafka answer, and how many scorers are in their consumer group?

One confluent-kafka ``AdminClient`` describes the scorer group; the answer is cached for
``health_cache_s`` so a burst of readiness checks (or of requests that consult it) costs one
broker round trip per second at most.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from confluent_kafka import KafkaException
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
        config = settings.librdkafka_config()
        config["client.id"] = f"{settings.client_id}-gateway-probe"
        self._admin = AdminClient(config)

    def check(self) -> ProbeResult:
        """The cached answer if fresh, else a new one (one caller asks; others wait for it)."""
        with self._lock:
            last = self._last
            if last is not None and time.monotonic() - last.at < self._cache_s:
                return last
            self._last = self._ask()
            return self._last

    def _ask(self) -> ProbeResult:
        now = time.monotonic()
        try:
            futures = self._admin.describe_consumer_groups([self._group_id], request_timeout=self._timeout_s)
            description = futures[self._group_id].result(timeout=self._timeout_s + 1.0)
        except (KafkaException, TimeoutError, OSError) as exc:
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


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KafkaException) and exc.args:
        error = exc.args[0]
        text = getattr(error, "str", None)
        return str(text()) if callable(text) else str(error)
    return str(exc) or type(exc).__name__
