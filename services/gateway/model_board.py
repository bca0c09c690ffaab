"""Registry state folded from ``model.events`` into :class:`spindrift.registry.state.RegistryState`.

Fed by a :class:`spindrift.kafka.follow.TopicFollower`; routes get independent copies, so they
never see a half-applied event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from spindrift import wire
from spindrift.kafka.records import Record
from spindrift.registry.state import InvalidEvent, RegistryState

__all__ = ["ModelBoard"]

log = logging.getLogger(__name__)


class ModelBoard:
    """The registry as this gateway has read it; thread-safe."""

    def __init__(self) -> None:
        self._state = RegistryState()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def apply_record(self, record: Record) -> None:
        """Decode one ``model.events`` record and fold it in (undecodable or contradicting events are logged)."""
        try:
            _name, event = wire.decode(record.value or b"", record.headers, expected="ModelEvent")
        except wire.WireError as exc:
            log.warning("skipping undecodable model event %s: %s", record.coordinates, exc)
            return
        with self._lock:
            try:
                self._state.apply(event)
            except InvalidEvent as exc:
                log.warning("skipping model event %s: %s", record.coordinates, exc)
                return
            self._changed.notify_all()

    def snapshot(self) -> RegistryState:
        """An independent copy of the registry as of now."""
        with self._lock:
            return self._state.copy()

    def wait_for(self, predicate: Callable[[RegistryState], bool], timeout: float) -> bool:
        """Block until ``predicate(state)`` holds (True) or ``timeout`` passes (False)."""
        with self._changed:
            return bool(self._changed.wait_for(lambda: predicate(self._state), timeout))
