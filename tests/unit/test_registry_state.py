"""RegistryState as a pure fold of model events: publish, aliases, promote, rollback, retire, resolve."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spindrift.registry.state import InvalidEvent, RegistryState, UnknownModel, UnknownVersion


def published(name: str, version: int, *, servable: bool = True, sha: str | None = None) -> dict[str, Any]:
    manifest = {"name": name, "version": version, "servable": servable, "reason": None if servable else "no parity"}
    manifest["sha256"] = sha or f"sha-{name}-{version}"
    return {"model": name, "version": version, "type": "PUBLISHED", "manifest_json": json.dumps(manifest), "at_ms": 10}


def event(kind: str, name: str, version: int, alias: str | None = None) -> dict[str, Any]:
    return {"model": name, "version": version, "type": kind, "alias": alias, "manifest_json": None, "at_ms": 20}


def build(*events: dict[str, Any]) -> RegistryState:
    state = RegistryState()
    for e in events:
        state.apply(e)
    return state


def test_unknown_model_and_version() -> None:
    state = build(published("spam", 1))
    with pytest.raises(UnknownModel, match="ham"):
        state.resolve("ham", None)
    with pytest.raises(UnknownVersion, match="no version 9"):
        state.resolve("spam", "9")
    with pytest.raises(UnknownVersion, match="no alias 'staging'"):
        state.resolve("spam", "staging")


def test_default_is_latest_servable_until_production_is_set() -> None:
    state = build(published("spam", 1), published("spam", 2), published("spam", 3, servable=False))
    assert state.resolve("spam", None).version == 2, "v3 is not servable"
    assert state.resolve("spam", "latest").version == 2
    assert state.resolve("spam", "3").servable is False, "an explicit version resolves even when not servable"
    state.apply(event("PROMOTED", "spam", 1, "production"))
    assert state.resolve("spam", None).version == 1
    assert state.resolve("spam", "production").version == 1
    assert state.aliases("spam") == {"production": 1}


def test_no_servable_version_is_an_unknown_version() -> None:
    state = build(published("spam", 1, servable=False))
    with pytest.raises(UnknownVersion, match="no servable version"):
        state.resolve("spam", None)


def test_aliases_and_rollback_walk_back_through_history() -> None:
    state = build(*(published("spam", v) for v in (1, 2, 3)))
    state.apply(event("ALIAS_SET", "spam", 2, "staging"))
    for version in (1, 2, 3):
        state.apply(event("PROMOTED", "spam", version, "production"))
    assert state.resolve("spam", "staging").version == 2
    assert state.rollback_target("spam") == 2
    state.apply(event("ROLLED_BACK", "spam", 2, "production"))
    assert state.resolve("spam", None).version == 2
    assert state.rollback_target("spam") == 1, "a second rollback goes further back, it does not toggle"
    state.apply(event("ROLLED_BACK", "spam", 1, "production"))
    assert state.resolve("spam", None).version == 1
    with pytest.raises(UnknownVersion, match="roll back"):
        state.rollback_target("spam")


def test_retire_hides_a_version_and_drops_its_aliases() -> None:
    state = build(published("spam", 1), published("spam", 2), event("PROMOTED", "spam", 2, "production"))
    state.apply(event("RETIRED", "spam", 2))
    assert state.aliases("spam") == {}
    assert state.resolve("spam", None).version == 1, "falls back to the latest servable version"
    with pytest.raises(UnknownVersion, match="retired"):
        state.resolve("spam", "2")
    assert state.get("spam", 2).retired
    with pytest.raises(InvalidEvent, match="retired"):
        state.apply(event("PROMOTED", "spam", 2, "production"))


def test_rollback_skips_retired_versions() -> None:
    state = build(*(published("spam", v) for v in (1, 2, 3)))
    for version in (1, 2, 3):
        state.apply(event("PROMOTED", "spam", version))
    state.apply(event("RETIRED", "spam", 2))
    assert state.rollback_target("spam") == 1


def test_next_version_and_versions_are_immutable() -> None:
    state = RegistryState()
    assert state.next_version("spam") == 1
    state.apply(published("spam", 1))
    state.apply(published("spam", 4))
    assert state.next_version("spam") == 5
    state.apply(published("spam", 1))  # the same publication delivered twice: no-op
    assert len(state.versions("spam")) == 2
    with pytest.raises(InvalidEvent, match="immutable"):
        state.apply(published("spam", 1, sha="another"))
    assert state.get("spam", 1).sha256 == "sha-spam-1"


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"model": "spam", "type": "PUBLISHED"}, "malformed"),
        ({"model": "spam", "version": 1, "type": "EXPLODED", "at_ms": 1}, "unknown model event type"),
        ({"model": "spam", "version": 1, "type": "PUBLISHED", "manifest_json": "{}", "at_ms": 1}, "sha256"),
        ({"model": "spam", "version": 1, "type": "PUBLISHED", "manifest_json": "{nope", "at_ms": 1}, "not JSON"),
        ({"model": "../etc", "version": 1, "type": "PUBLISHED", "manifest_json": '{"sha256": "x"}'}, "invalid model"),
        ({"model": "spam", "version": 7, "type": "PROMOTED", "at_ms": 1}, "never published"),
        ({"model": "spam", "version": 1, "type": "ALIAS_SET", "alias": None, "at_ms": 1}, "needs an alias"),
    ],
)
def test_invalid_events_are_refused_without_changing_state(bad: dict[str, Any], needle: str) -> None:
    state = build(published("spam", 1))
    before = state.to_dict()
    with pytest.raises(InvalidEvent, match=needle):
        state.apply(bad)
    assert state.to_dict() == before


def test_copies_are_independent() -> None:
    state = build(published("spam", 1))
    snapshot = state.copy()
    state.apply(published("spam", 2))
    state.apply(event("PROMOTED", "spam", 2))
    assert [i.version for i in snapshot.versions("spam")] == [1]
    assert snapshot.aliases("spam") == {}
    assert [i.version for i in state.all_versions()] == [1, 2]
