"""Fetch one published model version from the registry into a directory: by name, number or alias.

For processes that load a model once at start (an AWS Lambda cold start, a batch job, a
notebook) rather than follow the registry: ``fetch_model`` reads ``model.events`` and
``model.artifacts`` up to their ends, resolves the reference, waits for that version's
artifact to be reassembled and checked, and returns where it is unpacked::

    from spindrift.kafka.settings import KafkaSettings
    from spindrift.registry.fetch import fetch_model
    from sparkml_runtime import load_pipeline

    fetched = fetch_model(KafkaSettings(), "tutorial", "production", cache_dir="/tmp/models")
    pipeline = load_pipeline(fetched.path)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from spindrift.kafka.settings import KafkaSettings

from .follower import RegistryFollower

__all__ = ["FetchedModel", "ModelUnavailable", "fetch_model", "locate_model"]

_POLL_S = 0.1


class ModelUnavailable(RuntimeError):
    """The version is registered but its artifact cannot be used here (rejected, or not arrived in time)."""


@dataclass(frozen=True)
class FetchedModel:
    """A model version unpacked on local disk."""

    name: str
    version: int
    path: Path


def locate_model(follower: RegistryFollower, name: str, ref: str | int | None, timeout_s: float) -> FetchedModel:
    """Resolve ``ref`` with a started follower and wait until that version's artifact is unpacked.

    Raises ``spindrift.registry.state.RegistryError`` for an unknown model, version or alias,
    and :class:`ModelUnavailable` when the artifact was rejected or did not arrive in time.
    """
    deadline = time.monotonic() + timeout_s
    if not follower.wait_caught_up(timeout_s):
        raise ModelUnavailable(f"the model registry could not be read within {timeout_s:g} s; is Kafka reachable?")
    info = follower.resolve(name, ref)
    # A version published moments ago may still be arriving in chunks.
    while (model_dir := follower.model_dir(name, info.version)) is None:
        failure = follower.failures.get((name, info.version))
        if failure is not None or time.monotonic() > deadline:
            why = failure or "its artifact did not arrive in time"
            raise ModelUnavailable(f"{name} version {info.version} is registered but cannot be used here: {why}")
        time.sleep(_POLL_S)  # the follower installs artifacts on its own thread
    return FetchedModel(name, int(info.version), Path(model_dir))


def fetch_model(
    kafka: KafkaSettings,
    name: str,
    ref: str | int | None = None,
    *,
    cache_dir: str | Path,
    timeout_s: float = 60.0,
) -> FetchedModel:
    """Unpack version ``ref`` of ``name`` (a number, an alias, or None for the default) under ``cache_dir``.

    None means the ``production`` alias when it is set, else the latest servable version, as
    the scorers resolve it. The follower is stopped before returning: nothing keeps running.
    """
    follower = RegistryFollower(kafka, Path(cache_dir)).start(timeout_s)
    try:
        return locate_model(follower, name, ref, timeout_s)
    finally:
        follower.stop()
