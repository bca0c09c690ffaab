"""The topics Spindrift uses, their layouts, and ``ensure_topics`` that creates whatever is missing.

Brokers run with ``auto.create.topics.enable=false`` so a misspelt topic fails loudly instead
of silently creating a new one; every component therefore calls ``ensure_topics`` at start.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from spindrift.kafka.settings import KafkaSettings, make_admin

__all__ = [
    "MODEL_ARTIFACTS",
    "MODEL_EVENTS",
    "SCORE_DLQ",
    "TRAIN_DLQ",
    "SCORE_REQUESTS",
    "TRAIN_EVENTS",
    "TRAIN_REQUESTS",
    "TopicError",
    "TopicSpec",
    "ensure_topics",
    "standard_topics",
]

TRAIN_REQUESTS = "train.requests"
TRAIN_EVENTS = "train.events"
MODEL_ARTIFACTS = "model.artifacts"
MODEL_EVENTS = "model.events"
SCORE_REQUESTS = "score.requests"
SCORE_DLQ = "score.dlq"
TRAIN_DLQ = "train.dlq"

# The registry is rebuilt from these two topics at every scorer start, so they must never expire.
_KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


class TopicError(RuntimeError):
    """A topic could not be created or did not become usable in time."""


@dataclass(frozen=True)
class TopicSpec:
    """How one topic is laid out: its name, partition count and topic-level configs."""

    name: str
    partitions: int = 1
    configs: dict[str, str] = field(default_factory=dict)


def standard_topics(settings: KafkaSettings) -> list[TopicSpec]:
    """Every topic of the Spindrift topology, laid out for ``settings``."""
    return [
        TopicSpec(TRAIN_REQUESTS, 1),
        TopicSpec(TRAIN_EVENTS, 1),
        # Keyed name/version/sha256/index and written once per key: compaction keeps every chunk
        # while letting a tombstone drop a retired artifact later.
        TopicSpec(MODEL_ARTIFACTS, 1, {"cleanup.policy": "compact"}),
        # One partition keeps a total order of registry events across models.
        TopicSpec(MODEL_EVENTS, 1, dict(_KEEP_FOREVER)),
        TopicSpec(SCORE_REQUESTS, settings.score_partitions),
        TopicSpec(SCORE_DLQ, 1),
        TopicSpec(TRAIN_DLQ, 1),
    ]


def ensure_topics(
    settings: KafkaSettings,
    specs: Iterable[TopicSpec | str] | None = None,
    *,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create the topics in ``specs`` (default: ``standard_topics``) that do not exist yet.

    Idempotent and safe to race with other processes doing the same. A plain string is a
    one-partition topic with default configs. Returns the names that this call created, and
    only returns once every listed topic has a leader for each partition.
    """
    wanted = [s if isinstance(s, TopicSpec) else TopicSpec(s) for s in (specs or standard_topics(settings))]
    if not wanted:
        return []
    admin = make_admin(settings)
    deadline = time.monotonic() + timeout_s
    try:
        existing = set(admin.list_topics(timeout=timeout_s).topics)
    except KafkaException as exc:
        raise TopicError(f"could not list topics at {settings.bootstrap_servers}: {exc}") from exc
    missing = [spec for spec in wanted if spec.name not in existing]
    created: list[str] = []
    if missing:
        request = [
            NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=settings.replication_factor,
                config=dict(spec.configs),
            )
            for spec in missing
        ]
        futures = admin.create_topics(request, request_timeout=timeout_s)
        for name, future in futures.items():
            try:
                future.result(timeout=timeout_s)
                created.append(name)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue  # another process won the race
                raise TopicError(
                    f"could not create topic {name!r}: {exc} — check the broker log and the topic configs"
                ) from exc
    _wait_for_leaders(admin, [spec.name for spec in wanted], deadline, timeout_s)
    return created


def _wait_for_leaders(admin: AdminClient, names: list[str], deadline: float, timeout_s: float) -> None:
    """Return once every partition of every topic in ``names`` has a leader; :class:`TopicError` at the deadline."""
    waiting = list(names)
    while True:
        try:
            listed = admin.list_topics(timeout=max(0.5, min(5.0, deadline - time.monotonic()))).topics
        except KafkaException:
            listed = {}  # no answer this time: ask again until the deadline
        waiting = [name for name in waiting if not _usable(listed.get(name))]
        if not waiting:
            return
        if time.monotonic() >= deadline:
            raise TopicError(f"topics not usable after {timeout_s:.0f} s: {', '.join(waiting)} have no leader yet")
        time.sleep(0.05)  # metadata of a topic created a moment ago takes a few ms to spread


def _usable(topic: object) -> bool:
    partitions = getattr(topic, "partitions", None)
    if not partitions or getattr(topic, "error", None) is not None:
        return False
    return all(p.leader >= 0 and p.error is None for p in partitions.values())


def main(argv: list[str] | None = None) -> int:
    """``python -m spindrift.kafka.topics [NAME ...]``: create the standard topics and each NAME (one partition).

    For a cluster that no Spindrift service has started on yet, or a reply topic for a hand-made
    request (kcat); prints the names it created. Reads ``KAFKA_*`` like every service.
    """
    import sys

    names = sys.argv[1:] if argv is None else argv
    settings = KafkaSettings()
    created = ensure_topics(settings, [*standard_topics(settings), *(TopicSpec(name) for name in names)])
    print(f"created: {', '.join(created)}" if created else "every topic exists already")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
