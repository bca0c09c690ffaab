"""Published model versions unpacked on a trainer, for the jobs that apply one with Spark (``score_batch``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from spindrift.kafka.settings import KafkaSettings
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
        deadline = time.monotonic() + timeout_s
        if not self._follower.wait_caught_up(timeout_s):
            raise JobError(f"the model registry could not be read within {timeout_s:.0f}s")
        try:
            info = self._follower.resolve(name, ref)
        except RegistryError as exc:
            raise SpecError(str(exc)) from None
        # A version published moments ago may still be arriving in chunks.
        while (model_dir := self._follower.model_dir(name, info.version)) is None:
            failure = self._follower.failures.get((name, info.version))
            if failure is not None or time.monotonic() > deadline:
                why = failure or "its artifact did not arrive in time"
                raise JobError(f"{name} version {info.version} is registered but cannot be used here: {why}")
            time.sleep(0.1)  # polling the follower, which installs artifacts on its own thread
        return int(info.version), Path(model_dir)

    def close(self) -> None:
        """Stop the follower thread."""
        if self._follower is not None:
            self._follower.stop()
