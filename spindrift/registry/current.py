"""The registry as of now, read once from Kafka: for one-off readers such as a trainer choosing a version number.

Apart from :mod:`spindrift.registry.state` so that the pure fold imports no Kafka client, and
neither does anything that only folds events (the serving core).
"""

from __future__ import annotations

from spindrift.kafka.settings import KafkaSettings
from spindrift.registry.reader import read_events
from spindrift.registry.state import InvalidEvent, RegistryState

__all__ = ["read_registry_state"]


def read_registry_state(settings: KafkaSettings, timeout_s: float = 30.0) -> RegistryState:
    """The registry as of now, read once from ``model.events`` from the beginning to its current end."""
    state = RegistryState()
    for event in read_events(settings, timeout_s=timeout_s):
        try:
            state.apply(event)
        except InvalidEvent:
            continue  # the follower logs these; a one-off reader just skips them
    return state
