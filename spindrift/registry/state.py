"""The model registry as a pure fold of ``model.events``: versions, aliases, retirements.

No I/O here: ``RegistryState.apply`` takes one decoded ``ModelEvent`` at a time, so every
process that reads the topic from the beginning (scorers, trainers, the gateway) arrives at the
same state. Semantics:

- ``PUBLISHED`` adds an immutable version (its manifest and artifact sha256). A duplicate with
  the same sha256 is a no-op (at-least-once delivery); a different artifact under an existing
  version number is refused.
- ``ALIAS_SET`` points an alias at a version; ``PROMOTED`` is ``ALIAS_SET`` of ``production``.
- ``ROLLED_BACK`` points the alias at the event's version (the previous target), and forgets
  the history after it, so repeated rollbacks walk further back instead of toggling.
- ``RETIRED`` hides a version from resolution and drops the aliases that pointed at it, so a
  request without a version falls back to the latest servable one.

Resolution (``resolve(name, ref)``): ``None`` → alias ``production`` if set, else the latest
servable version; digits → that version; ``latest`` → the latest servable version; anything else
→ an alias. Errors: ``UnknownModel`` and ``UnknownVersion`` (both ``RegistryError``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = [
    "PRODUCTION",
    "InvalidEvent",
    "ModelVersionInfo",
    "RegistryError",
    "RegistryState",
    "UnknownModel",
    "UnknownVersion",
    "check_alias",
    "check_model_name",
]

PRODUCTION = "production"
LATEST = "latest"
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")


class RegistryError(Exception):
    """Base of every registry error."""


class UnknownModel(RegistryError, LookupError):
    """No version of this model name was ever published."""


class UnknownVersion(RegistryError, LookupError):
    """The model exists but the version, alias or default it was asked for does not resolve."""


class InvalidEvent(RegistryError, ValueError):
    """A model event that cannot be applied (malformed, or contradicting the registry); state is unchanged."""


def check_model_name(name: str) -> str:
    """``name`` if it is a valid model name (also used in paths and keys), else ``ValueError``."""
    if not isinstance(name, str) or not _MODEL_NAME.match(name) or ".." in name:
        raise ValueError(
            f"invalid model name {name!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_alias(alias: str) -> str:
    """``alias`` if it is a valid alias name, else ``ValueError`` (digits are versions, ``latest`` is reserved)."""
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias == LATEST:
        raise ValueError(
            f"invalid alias {alias!r}: use letters, digits, '.', '_' or '-' starting with a letter; "
            f"'{LATEST}' is reserved"
        )
    return alias


@dataclass(frozen=True)
class ModelVersionInfo:
    """One published model version, as the registry knows it (immutable)."""

    name: str
    version: int
    manifest: Mapping[str, Any]
    sha256: str
    published_at_ms: int
    servable: bool
    reason: str | None = None
    retired: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for status pages and comparisons)."""
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "published_at_ms": self.published_at_ms,
            "servable": self.servable,
            "reason": self.reason,
            "retired": self.retired,
        }


@dataclass
class _Model:
    versions: dict[int, ModelVersionInfo] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    # Every target an alias had, oldest first; rollbacks walk it backwards.
    alias_history: dict[str, list[int]] = field(default_factory=dict)


class RegistryState:
    """The registry built from model events; not thread-safe (the follower guards it and hands out copies)."""

    def __init__(self) -> None:
        self._models: dict[str, _Model] = {}
        self.events_applied = 0

    # -- applying events --------------------------------------------------------------------

    def apply(self, event: Mapping[str, Any]) -> None:
        """Apply one decoded ``ModelEvent``; raises ``InvalidEvent`` (leaving state unchanged) when it cannot."""
        try:
            name = str(event["model"])
            version = int(event["version"])
            kind = str(event["type"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidEvent(f"malformed model event {dict(event)!r}: {exc}") from exc
        handler = {
            "PUBLISHED": self._published,
            "PROMOTED": self._promoted,
            "ALIAS_SET": self._alias_set,
            "ROLLED_BACK": self._rolled_back,
            "RETIRED": self._retired,
        }.get(kind)
        if handler is None:
            raise InvalidEvent(f"unknown model event type {kind!r}")
        handler(name, version, event)
        self.events_applied += 1

    def _published(self, name: str, version: int, event: Mapping[str, Any]) -> None:
        try:
            check_model_name(name)
        except ValueError as exc:
            raise InvalidEvent(str(exc)) from exc
        if version < 1:
            raise InvalidEvent(f"{name}: version must be >= 1, got {version}")
        raw = event.get("manifest_json")
        try:
            manifest = json.loads(raw) if raw else None
        except ValueError as exc:
            raise InvalidEvent(f"{name} v{version}: manifest_json is not JSON: {exc}") from exc
        if not isinstance(manifest, dict) or not manifest.get("sha256"):
            raise InvalidEvent(f"{name} v{version}: a PUBLISHED event needs a manifest with the artifact's sha256")
        model = self._models.setdefault(name, _Model())
        existing = model.versions.get(version)
        if existing is not None:
            if existing.sha256 == manifest["sha256"]:
                return  # the same publication delivered twice
            raise InvalidEvent(f"{name} v{version} is already published with another artifact; versions are immutable")
        model.versions[version] = ModelVersionInfo(
            name=name,
            version=version,
            manifest=MappingProxyType(manifest),
            sha256=str(manifest["sha256"]),
            published_at_ms=int(event.get("at_ms") or 0),
            servable=bool(manifest.get("servable", True)),
            reason=manifest.get("reason"),
        )

    def _target(self, name: str, version: int) -> _Model:
        model = self._models.get(name)
        if model is None or version not in model.versions:
            raise InvalidEvent(f"{name} v{version} was never published")
        if model.versions[version].retired:
            raise InvalidEvent(f"{name} v{version} is retired")
        return model

    def _point(self, model: _Model, alias: str, version: int) -> None:
        model.aliases[alias] = version
        history = model.alias_history.setdefault(alias, [])
        if not history or history[-1] != version:
            history.append(version)

    def _promoted(self, name: str, version: int, event: Mapping[str, Any]) -> None:
        self._point(self._target(name, version), PRODUCTION, version)

    def _alias_set(self, name: str, version: int, event: Mapping[str, Any]) -> None:
        alias = event.get("alias")
        if not alias:
            raise InvalidEvent(f"{name}: an ALIAS_SET event needs an alias")
        self._point(self._target(name, version), str(alias), version)

    def _rolled_back(self, name: str, version: int, event: Mapping[str, Any]) -> None:
        alias = str(event.get("alias") or PRODUCTION)
        model = self._target(name, version)
        history = model.alias_history.setdefault(alias, [])
        if version in history:
            del history[len(history) - history[::-1].index(version) :]
        else:
            history.append(version)
        model.aliases[alias] = version

    def _retired(self, name: str, version: int, event: Mapping[str, Any]) -> None:
        model = self._models.get(name)
        if model is None or version not in model.versions:
            raise InvalidEvent(f"{name} v{version} was never published")
        model.versions[version] = replace(model.versions[version], retired=True)
        for alias in [a for a, v in model.aliases.items() if v == version]:
            del model.aliases[alias]

    # -- reading ----------------------------------------------------------------------------

    def models(self) -> list[str]:
        """Names of every model with at least one published version."""
        return sorted(self._models)

    def versions(self, name: str) -> list[ModelVersionInfo]:
        """Every version of ``name`` (retired ones included), oldest first."""
        model = self._model(name)
        return [model.versions[v] for v in sorted(model.versions)]

    def all_versions(self) -> list[ModelVersionInfo]:
        """Every version of every model (retired ones included)."""
        return [info for name in self.models() for info in self.versions(name)]

    def get(self, name: str, version: int) -> ModelVersionInfo:
        """One version, retired or not; ``UnknownModel``/``UnknownVersion`` when never published."""
        model = self._model(name)
        if version not in model.versions:
            raise UnknownVersion(f"model {name!r} has no version {version}; known: {sorted(model.versions)}")
        return model.versions[version]

    def aliases(self, name: str) -> dict[str, int]:
        """Alias → version for ``name``."""
        return dict(self._model(name).aliases)

    def next_version(self, name: str) -> int:
        """The number the next publication of ``name`` should use (1 for a new model)."""
        model = self._models.get(name)
        return max(model.versions, default=0) + 1 if model else 1

    def resolve(self, name: str, ref: str | int | None = None) -> ModelVersionInfo:
        """The version ``ref`` names (see the module docstring); raises ``UnknownModel``/``UnknownVersion``."""
        model = self._model(name)
        text = "" if ref is None else str(ref).strip()
        if not text:
            if PRODUCTION in model.aliases:
                return model.versions[model.aliases[PRODUCTION]]
            return self._latest_servable(name, model)
        if text.isdigit():
            version = int(text)
            info = model.versions.get(version)
            if info is None:
                raise UnknownVersion(f"model {name!r} has no version {version}; known: {sorted(model.versions)}")
            if info.retired:
                raise UnknownVersion(f"model {name!r} version {version} is retired")
            return info
        if text == LATEST:
            return self._latest_servable(name, model)
        if text in model.aliases:
            return model.versions[model.aliases[text]]
        known = ", ".join(sorted(model.aliases)) or "none"
        raise UnknownVersion(f"model {name!r} has no alias {text!r} (aliases: {known}); or ask for a version number")

    def rollback_target(self, name: str, alias: str = PRODUCTION) -> int:
        """The version a rollback of ``alias`` would go back to; ``UnknownVersion`` when there is none."""
        model = self._model(name)
        history = model.alias_history.get(alias, [])
        current = model.aliases.get(alias)
        for version in reversed(history[:-1] if history and history[-1] == current else history):
            if version != current and not model.versions[version].retired:
                return version
        raise UnknownVersion(f"alias {alias!r} of model {name!r} has no earlier version to roll back to")

    def copy(self) -> RegistryState:
        """An independent copy (the follower hands these out so readers never see a half-applied event)."""
        return copy.deepcopy(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> RegistryState:
        clone = RegistryState()
        clone.events_applied = self.events_applied
        for name, model in self._models.items():
            # Infos are immutable; only the containers need copying.
            clone._models[name] = _Model(
                versions=dict(model.versions),
                aliases=dict(model.aliases),
                alias_history={a: list(h) for a, h in model.alias_history.items()},
            )
        return clone

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: per model, its versions and aliases."""
        return {
            name: {
                "versions": [info.to_dict() for info in self.versions(name)],
                "aliases": dict(sorted(self._models[name].aliases.items())),
            }
            for name in self.models()
        }

    def _model(self, name: str) -> _Model:
        model = self._models.get(name)
        if model is None:
            known = ", ".join(self.models()) or "none yet"
            raise UnknownModel(f"no model called {name!r} has been published (models: {known})")
        return model

    def _latest_servable(self, name: str, model: _Model) -> ModelVersionInfo:
        for version in sorted(model.versions, reverse=True):
            info = model.versions[version]
            if info.servable and not info.retired:
                return info
        raise UnknownVersion(f"model {name!r} has no servable version")
