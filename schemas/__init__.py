"""Avro schemas of every Spindrift message, shipped as package data, and their loader.

Each message schema lives in ``<Name>.avsc``; named types shared by several messages
(``SparseVector``, ``StringArray``) live in their own files and are referenced by full name.
``expanded(name)`` inlines them at first use, giving a self-contained schema whose Parsing
Canonical Form (and so fingerprint) is what any Avro implementation computes for it.

``history/<Name>.v<N>.avsc`` are frozen, self-contained copies of every released version.
Readers learn their fingerprints so messages from older writers still decode, and the
evolution tests check that each current schema and each frozen one read each other's data.
See README.md for the evolution rules.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "MESSAGE_NAMES",
    "NAMESPACE",
    "SCHEMA_DIR",
    "SHARED_TYPES",
    "SchemaNotFound",
    "expanded",
    "full_name",
    "history",
    "raw",
]

SCHEMA_DIR = Path(__file__).resolve().parent
NAMESPACE = "io.spindrift"
MESSAGE_NAMES: tuple[str, ...] = (
    "ScoreRequest",
    "ScoreReply",
    "ModelEvent",
    "ArtifactChunk",
    "TrainRequest",
    "JobEvent",
)
SHARED_TYPES: tuple[str, ...] = ("SparseVector", "StringArray")

_HISTORY_FILE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)\.v(?P<version>[0-9]+)\.avsc$")


class SchemaNotFound(LookupError):
    """No schema file of that name exists."""


def short_name(name: str) -> str:
    """``io.spindrift.ScoreRequest`` → ``ScoreRequest``."""
    return name.rsplit(".", 1)[-1]


def full_name(name: str) -> str:
    """``ScoreRequest`` → ``io.spindrift.ScoreRequest``."""
    return name if "." in name else f"{NAMESPACE}.{name}"


@cache
def _read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def raw(name: str) -> dict[str, Any]:
    """The schema JSON exactly as written in ``<name>.avsc`` (a fresh copy)."""
    path = SCHEMA_DIR / f"{short_name(name)}.avsc"
    if not path.is_file():
        known = ", ".join(MESSAGE_NAMES + SHARED_TYPES)
        raise SchemaNotFound(f"no schema called {name!r}; known: {known}")
    return copy.deepcopy(_read(path))


def expanded(name: str) -> dict[str, Any]:
    """A self-contained schema: shared named types inlined where first referenced."""
    shared = {full_name(t): raw(t) for t in SHARED_TYPES}
    defined: set[str] = set()

    def walk(node: Any, namespace: str) -> Any:
        if isinstance(node, str):
            ref = node if "." in node else f"{namespace}.{node}"
            if ref in shared and ref not in defined:
                defined.add(ref)
                return walk(shared[ref], NAMESPACE)
            return node
        if isinstance(node, list):
            return [walk(item, namespace) for item in node]
        if isinstance(node, dict):
            kind = node.get("type")
            if kind in ("record", "enum", "fixed", "error"):
                namespace = node.get("namespace", namespace)
                defined.add(node["name"] if "." in node["name"] else f"{namespace}.{node['name']}")
            if kind in ("record", "error"):
                node = dict(node)
                node["fields"] = [dict(f, type=walk(f["type"], namespace)) for f in node["fields"]]
                return node
            if kind == "array":
                return dict(node, items=walk(node["items"], namespace))
            if kind == "map":
                return dict(node, values=walk(node["values"], namespace))
            return node
        return node

    return dict(walk(raw(name), NAMESPACE))


def history() -> list[tuple[str, int, dict[str, Any]]]:
    """Every frozen released version: ``(short name, version number, self-contained schema)``."""
    found: list[tuple[str, int, dict[str, Any]]] = []
    folder = SCHEMA_DIR / "history"
    if folder.is_dir():
        for path in sorted(folder.glob("*.avsc")):
            match = _HISTORY_FILE.match(path.name)
            if match:
                found.append((match["name"], int(match["version"]), copy.deepcopy(_read(path))))
    return found
