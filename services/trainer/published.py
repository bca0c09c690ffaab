"""Published model versions unpacked on a trainer, for the jobs that apply one with Spark (``score_batch``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from spindrift.kafka.settings import KafkaSettings
from spindrift.registry.fetch import ModelUnavailable, locate_model
from spindrift.registry.follower import RegistryFollower
from spindrift.registry.state import RegistryError

from .errors import JobError, SpecError


class PublishedModels:
    """Published model versions unpacked on this trainer, kept current by a registry follower.

    Started on the first batch job: most trainers only train and need no artifact copies.
    """

    def __init__(self, kafka: KafkaSettings, cache_dir: Path) -> None:
        self._kafka = kafka
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._follower: Any = None

    def resolve(self, name: str, ref: str | None, timeout_s: float = 60.0) -> tuple[int, Path]:
        """The version number and unpacked model directory ``ref`` names for ``name``."""
        with self._lock:
            if self._follower is None:
                self._follower = RegistryFollower(self._kafka, self._cache_dir).start()
        try:
            found = locate_model(self._follower, name, ref, timeout_s)
        except RegistryError as exc:
            raise SpecError(str(exc)) from None
        except ModelUnavailable as exc:
            raise JobError(str(exc)) from None
        return found.version, found.path

    def close(self) -> None:
        """Stop the follower thread."""
        if self._follower is not None:
            self._follower.stop()
