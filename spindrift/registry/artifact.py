"""Model artifacts: a saved Spark model dir plus its manifest, packed as one deterministic tar.gz.

Layout inside the archive: ``manifest.json`` and ``model/...`` (the directory
``PipelineModel.save()`` wrote). Packing is deterministic (sorted entries, zero mtimes and
owners), so the same model packs to the same bytes and the same sha256.

The manifest inside the archive cannot hold the archive's own sha256; the published manifest
(in the ``PUBLISHED`` event and every chunk) carries it instead.

Unpacking trusts nothing: the sha256 is checked first when given, then every member must be a
regular file or directory named ``manifest.json`` or under ``model/``, with no absolute path,
no ``..``, no links or devices, and within size limits; extraction goes to a temporary sibling
that is renamed into place, so a half-unpacked model is never visible.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "MANIFEST_NAME",
    "MODEL_DIR_NAME",
    "ArtifactError",
    "pack_model",
    "read_manifest",
    "sha256_hex",
    "unpack_model",
]

MANIFEST_NAME = "manifest.json"
MODEL_DIR_NAME = "model"
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_MEMBERS = 100_000


class ArtifactError(ValueError):
    """An artifact that cannot be packed or must not be unpacked (bad checksum, unsafe member, corrupt archive)."""


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _tar_info(name: str, *, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def pack_model(model_dir: str | Path, manifest: Mapping[str, Any]) -> bytes:
    """Pack ``model_dir`` (a saved Spark model) and ``manifest`` into tar.gz bytes.

    Raises ``ArtifactError`` when the dir is missing or holds links or special files.
    """
    root = Path(model_dir)
    if not root.is_dir():
        raise ArtifactError(f"model dir {root} does not exist or is not a directory")
    manifest_bytes = json.dumps(dict(manifest), sort_keys=True, indent=2, default=str).encode("utf-8")
    raw = io.BytesIO()
    # gzip header mtime 0 keeps the bytes (and the sha256) reproducible.
    with (
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(_tar_info(MANIFEST_NAME, size=len(manifest_bytes)), io.BytesIO(manifest_bytes))
        tar.addfile(_tar_info(MODEL_DIR_NAME, directory=True))
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                raise ArtifactError(f"{path} is a symbolic link; a model dir must hold only files and dirs")
            name = f"{MODEL_DIR_NAME}/{relative}"
            if path.is_dir():
                tar.addfile(_tar_info(name, directory=True))
            elif path.is_file():
                with path.open("rb") as handle:
                    tar.addfile(_tar_info(name, size=path.stat().st_size), handle)
            else:
                raise ArtifactError(f"{path} is not a regular file or directory")
    return raw.getvalue()


def _safe_name(member: tarfile.TarInfo) -> PurePosixPath:
    name = member.name
    path = PurePosixPath(name)
    if not name or name.startswith(("/", "\\")) or path.is_absolute() or ":" in path.parts[0]:
        raise ArtifactError(f"unsafe archive member {name!r}: absolute path")
    if any(part in ("..", "") for part in name.split("/") if part != ".") or "\\" in name:
        raise ArtifactError(f"unsafe archive member {name!r}: '..' or odd separators")
    if not (member.isreg() or member.isdir()):
        raise ArtifactError(f"unsafe archive member {name!r}: only regular files and directories are allowed")
    top = path.parts[0] if path.parts else ""
    if not (name == MANIFEST_NAME or top == MODEL_DIR_NAME):
        raise ArtifactError(f"unexpected archive member {name!r}: only {MANIFEST_NAME} and {MODEL_DIR_NAME}/ belong")
    return path


def _members(tar: tarfile.TarFile) -> list[tuple[tarfile.TarInfo, PurePosixPath]]:
    members = []
    total = 0
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise ArtifactError(f"archive has more than {MAX_MEMBERS} members")
        path = _safe_name(member)
        total += member.size
        if total > MAX_UNPACKED_BYTES:
            raise ArtifactError(f"archive unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        members.append((member, path))
    return members


def _open(data: bytes) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArtifactError(f"not a readable tar.gz artifact: {exc}") from exc


def read_manifest(data: bytes) -> dict[str, Any]:
    """The ``manifest.json`` inside an artifact, without unpacking the model."""
    try:
        with _open(data) as tar:
            for member, _path in _members(tar):
                if member.name == MANIFEST_NAME:
                    handle = tar.extractfile(member)
                    if handle is None:
                        break
                    manifest = json.loads(handle.read().decode("utf-8"))
                    if not isinstance(manifest, dict):
                        raise ArtifactError("manifest.json is not a JSON object")
                    return manifest
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, ArtifactError):
            raise
        raise ArtifactError(f"corrupt artifact: {exc}") from exc
    raise ArtifactError("artifact has no manifest.json")


def unpack_model(data: bytes, dest: str | Path, expected_sha256: str | None = None) -> Path:
    """Safely unpack an artifact into ``dest`` (replacing it); returns the model dir ``dest/model``.

    ``dest`` also receives ``manifest.json``. Raises ``ArtifactError`` on a sha256 mismatch,
    an unsafe or unexpected member, or a corrupt archive; ``dest`` is then left untouched.
    """
    if expected_sha256 is not None:
        actual = sha256_hex(data)
        if actual != expected_sha256.lower():
            raise ArtifactError(f"artifact sha256 mismatch: expected {expected_sha256}, got {actual}")
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.unpacking-", dir=target.parent))
    try:
        try:
            with _open(data) as tar:
                members = _members(tar)
                if not any(m.name == MANIFEST_NAME for m, _ in members):
                    raise ArtifactError("artifact has no manifest.json")
                for member, path in members:
                    out = staging.joinpath(*[p for p in path.parts if p != "."])
                    if member.isdir():
                        out.mkdir(parents=True, exist_ok=True)
                        continue
                    out.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    if source is None:
                        raise ArtifactError(f"cannot read archive member {member.name!r}")
                    with source, out.open("wb") as sink:
                        shutil.copyfileobj(source, sink)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ArtifactError(f"corrupt artifact: {exc}") from exc
        (staging / MODEL_DIR_NAME).mkdir(exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target / MODEL_DIR_NAME
