"""Packing and safe unpacking of model artifacts."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from spindrift.registry.artifact import ArtifactError, pack_model, read_manifest, sha256_hex, unpack_model

MANIFEST = {"name": "spam", "version": 1, "servable": True}


def make_model_dir(root: Path) -> Path:
    model = root / "saved"
    (model / "metadata").mkdir(parents=True)
    (model / "metadata" / "part-00000").write_text('{"class": "org.apache.spark.ml.PipelineModel"}\n')
    (model / "stages" / "0_tok").mkdir(parents=True)
    (model / "stages" / "0_tok" / "data.parquet").write_bytes(bytes(range(256)) * 10)
    return model


def tar_gz(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def file_member(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_pack_unpack_round_trip(tmp_path: Path) -> None:
    source = make_model_dir(tmp_path)
    data = pack_model(source, MANIFEST)
    model_dir = unpack_model(data, tmp_path / "out", expected_sha256=sha256_hex(data))
    assert model_dir == tmp_path / "out" / "model"
    for original in source.rglob("*"):
        copy = model_dir / original.relative_to(source)
        assert copy.is_dir() if original.is_dir() else copy.read_bytes() == original.read_bytes()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text()) == MANIFEST
    assert read_manifest(data) == MANIFEST


def test_packing_is_deterministic(tmp_path: Path) -> None:
    source = make_model_dir(tmp_path)
    first = pack_model(source, MANIFEST)
    for path in source.rglob("*"):
        path.touch()  # new mtimes must not change the bytes
    assert pack_model(source, MANIFEST) == first


def test_sha256_mismatch_is_rejected_and_leaves_dest_alone(tmp_path: Path) -> None:
    data = pack_model(make_model_dir(tmp_path), MANIFEST)
    corrupted = bytearray(data)
    corrupted[len(corrupted) // 2] ^= 0xFF
    with pytest.raises(ArtifactError, match="sha256 mismatch"):
        unpack_model(bytes(corrupted), tmp_path / "out", expected_sha256=sha256_hex(data))
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["saved"], "no staging dir is left behind"


def test_corrupt_archive_is_an_artifact_error(tmp_path: Path) -> None:
    data = pack_model(make_model_dir(tmp_path), MANIFEST)
    with pytest.raises(ArtifactError):
        unpack_model(data[: len(data) // 2], tmp_path / "out")
    with pytest.raises(ArtifactError, match="tar.gz"):
        unpack_model(b"not an archive", tmp_path / "out")


def _symlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


def _hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    ("member", "needle"),
    [
        (file_member("model/../../escape.txt"), "'..'"),
        (file_member("/etc/passwd"), "absolute"),
        (file_member("model/a/../../../x"), "'..'"),
        (_symlink("model/link", "/etc/passwd"), "only regular files"),
        (_hardlink("model/hard", "manifest.json"), "only regular files"),
        (file_member("elsewhere/file.txt"), "unexpected archive member"),
    ],
)
def test_unsafe_members_are_rejected(tmp_path: Path, member: tuple[tarfile.TarInfo, bytes | None], needle: str) -> None:
    data = tar_gz(file_member("manifest.json", json.dumps(MANIFEST).encode()), member)
    with pytest.raises(ArtifactError, match=needle):
        unpack_model(data, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()


def test_an_archive_without_manifest_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="manifest"):
        unpack_model(tar_gz(file_member("model/x")), tmp_path / "out")


def test_links_in_the_model_dir_are_refused_at_pack(tmp_path: Path) -> None:
    source = make_model_dir(tmp_path)
    (source / "link").symlink_to("/etc/passwd")
    with pytest.raises(ArtifactError, match="symbolic link"):
        pack_model(source, MANIFEST)
    with pytest.raises(ArtifactError, match="does not exist"):
        pack_model(tmp_path / "missing", MANIFEST)


def test_unpack_replaces_an_existing_dest(tmp_path: Path) -> None:
    data = pack_model(make_model_dir(tmp_path), MANIFEST)
    dest = tmp_path / "out"
    (dest / "model").mkdir(parents=True)
    (dest / "model" / "stale.txt").write_text("old")
    unpack_model(data, dest)
    assert not (dest / "model" / "stale.txt").exists()
    assert (dest / "model" / "metadata" / "part-00000").exists()
