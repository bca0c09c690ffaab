"""Read the registry's events once, from the beginning up to the end offsets seen at the start (no consumer group)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from spindrift import wire
from spindrift.kafka.reading import read_to_end
from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import MODEL_EVENTS, TopicSpec, ensure_topics, standard_topics

__all__ = ["read_events"]

log = logging.getLogger(__name__)


def read_events(
    settings: KafkaSettings, topic: str = MODEL_EVENTS, timeout_s: float = 30.0
) -> Iterator[dict[str, Any]]:
    """Decoded ``ModelEvent`` records of ``topic`` from the beginning to its current end (undecodable ones logged, skipped)."""
    spec = next((s for s in standard_topics(settings) if s.name == topic), TopicSpec(topic))
    ensure_topics(settings, [spec])
    for record in read_to_end(settings, topic, timeout_s=timeout_s):
        try:
            _name, event = wire.decode(record.value, record.headers, expected="ModelEvent")
        except wire.WireError as exc:
            log.error("skipping undecodable record %s of %s: %s", record.coordinates, topic, exc)
            continue
        yield event
