"""Write registry changes to Kafka: artifacts as chunks on ``model.artifacts``, changes on ``model.events``.

``publish_version`` writes every chunk (keyed ``name/version/sha256/index``) and waits for Kafka to
acknowledge them all before it writes the ``PUBLISHED`` event (keyed by model name), so a
reader that sees the event can always find the whole artifact. Every function waits for the
acknowledgement of its event and raises ``PublishError`` if Kafka does not confirm it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from spindrift import wire
from spindrift.kafka.produce import DeliveryFailed, send, wait_all
from spindrift.kafka.topics import MODEL_ARTIFACTS, MODEL_EVENTS
from spindrift.registry.artifact import pack_model, sha256_hex
from spindrift.registry.state import PRODUCTION, RegistryError, RegistryState, check_alias, check_model_name

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "PublishError",
    "chunk_key",
    "promote",
    "publish_version",
    "retire",
    "rollback",
    "set_alias",
]

# Well under the broker's default 1 MiB message limit, with room for the Avro framing.
DEFAULT_CHUNK_BYTES = 512 * 1024


class PublishError(RegistryError):
    """Kafka did not acknowledge a registry write, or the request to write was invalid."""


def chunk_key(name: str, version: int, sha256: str, index: int) -> bytes:
    """The key of one artifact chunk: ``name/version/sha256/index``.

    The hash is in the key because two trainers racing for one version number each write
    their chunks; compaction must never let the loser's chunks replace the winner's.
    """
    return f"{name}/{version}/{sha256}/{index}".encode()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _send_event(
    producer: Producer,
    topic: str,
    name: str,
    version: int,
    kind: str,
    *,
    alias: str | None = None,
    manifest_json: str | None = None,
    timeout_s: float,
) -> None:
    event = {
        "model": name,
        "version": version,
        "type": kind,
        "alias": alias,
        "manifest_json": manifest_json,
        "at_ms": _now_ms(),
    }
    try:
        send(producer, topic, wire.encode("ModelEvent", event), key=name.encode("utf-8")).wait(producer, timeout_s)
    except DeliveryFailed as exc:
        raise PublishError(f"Kafka did not acknowledge the {kind} event of {name} v{version}: {exc}") from exc


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise PublishError(f"version must be a positive integer, got {version!r}")
    return version


def publish_version(
    producer: Producer,
    manifest: Mapping[str, Any],
    model_dir: str | Path,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    artifacts_topic: str = MODEL_ARTIFACTS,
    events_topic: str = MODEL_EVENTS,
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    """Pack ``model_dir`` with ``manifest``, write its chunks, then the PUBLISHED event.

    ``manifest`` needs ``name`` and ``version`` (see the shared contract for the rest).
    Returns the manifest as published: with ``sha256`` set to the artifact's hash.
    """
    try:
        name = check_model_name(manifest.get("name"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise PublishError(str(exc)) from exc
    version = _check_version(manifest.get("version"))
    if chunk_bytes < 1:
        raise PublishError(f"chunk_bytes must be positive, got {chunk_bytes}")
    inner = {**manifest, "sha256": None}  # the archive cannot carry its own hash
    artifact = pack_model(model_dir, inner)
    sha = sha256_hex(artifact)
    count = max(1, math.ceil(len(artifact) / chunk_bytes))
    deliveries = []
    try:
        for index in range(count):
            chunk = {
                "model": name,
                "version": version,
                "index": index,
                "count": count,
                "sha256": sha,
                "data": artifact[index * chunk_bytes : (index + 1) * chunk_bytes],
            }
            value = wire.encode("ArtifactChunk", chunk)
            key = chunk_key(name, version, sha, index)
            deliveries.append(send(producer, artifacts_topic, value, key=key, timeout_s=timeout_s))
        wait_all(producer, deliveries, timeout_s)
    except DeliveryFailed as exc:
        raise PublishError(f"Kafka did not acknowledge the artifact chunks of {name} v{version}: {exc}") from exc
    published = {**manifest, "sha256": sha}
    manifest_json = json.dumps(published, sort_keys=True, default=str)
    _send_event(producer, events_topic, name, version, "PUBLISHED", manifest_json=manifest_json, timeout_s=timeout_s)
    return published


def set_alias(
    producer: Producer,
    name: str,
    alias: str,
    version: int,
    *,
    events_topic: str = MODEL_EVENTS,
    timeout_s: float = 30.0,
) -> None:
    """Point ``alias`` of model ``name`` at ``version`` (an ALIAS_SET event)."""
    try:
        check_model_name(name)
        check_alias(alias)
    except ValueError as exc:
        raise PublishError(str(exc)) from exc
    _send_event(producer, events_topic, name, _check_version(version), "ALIAS_SET", alias=alias, timeout_s=timeout_s)


def promote(
    producer: Producer, name: str, version: int, *, events_topic: str = MODEL_EVENTS, timeout_s: float = 30.0
) -> None:
    """Make ``version`` the production version of ``name`` (a PROMOTED event for alias ``production``)."""
    try:
        check_model_name(name)
    except ValueError as exc:
        raise PublishError(str(exc)) from exc
    _send_event(
        producer, events_topic, name, _check_version(version), "PROMOTED", alias=PRODUCTION, timeout_s=timeout_s
    )


def rollback(
    producer: Producer,
    state: RegistryState,
    name: str,
    alias: str = PRODUCTION,
    *,
    events_topic: str = MODEL_EVENTS,
    timeout_s: float = 30.0,
) -> int:
    """Point ``alias`` back at its previous (non-retired) version, as ``state`` knows it; returns that version.

    Raises ``UnknownModel``/``UnknownVersion`` when there is nothing to roll back to.
    """
    target = state.rollback_target(name, alias)
    _send_event(producer, events_topic, name, target, "ROLLED_BACK", alias=alias, timeout_s=timeout_s)
    return target


def retire(
    producer: Producer, name: str, version: int, *, events_topic: str = MODEL_EVENTS, timeout_s: float = 30.0
) -> None:
    """Retire ``version`` of ``name``: it no longer resolves, and aliases pointing at it are dropped."""
    try:
        check_model_name(name)
    except ValueError as exc:
        raise PublishError(str(exc)) from exc
    _send_event(producer, events_topic, name, _check_version(version), "RETIRED", timeout_s=timeout_s)
