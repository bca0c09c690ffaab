"""The model registry on Kafka: artifacts, a pure state fold, a publisher and a follower.

- ``artifact``: pack a saved Spark model + manifest into a deterministic tar.gz; unpack safely.
- ``state``: ``RegistryState`` folds ``ModelEvent`` records; ``resolve`` turns a version
  reference into a ``ModelVersionInfo``.
- ``publisher``: write chunks and events (publish, alias, promote, rollback, retire).
- ``follower``: ``RegistryFollower`` rebuilds the state from Kafka and unpacks artifacts.

Errors: ``RegistryError`` ⊃ ``UnknownModel``, ``UnknownVersion``, ``InvalidEvent``,
``PublishError``; artifacts raise ``ArtifactError`` (a ``ValueError``).
"""

from spindrift.registry.artifact import ArtifactError, pack_model, read_manifest, sha256_hex, unpack_model
from spindrift.registry.state import (
    PRODUCTION,
    InvalidEvent,
    ModelVersionInfo,
    RegistryError,
    RegistryState,
    UnknownModel,
    UnknownVersion,
)

__all__ = [
    "PRODUCTION",
    "ArtifactError",
    "InvalidEvent",
    "ModelVersionInfo",
    "RegistryError",
    "RegistryState",
    "UnknownModel",
    "UnknownVersion",
    "pack_model",
    "read_manifest",
    "sha256_hex",
    "unpack_model",
]
