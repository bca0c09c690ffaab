"""Read ``<dir>/metadata/part-*``: the JSON line Spark writes for every saved stage."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError

_SPECIAL_DOUBLES = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass(frozen=True)
class StageMetadata:
    """One saved stage's metadata: Spark class, uid, version and effective params."""

    class_name: str
    uid: str
    spark_version: str
    params: dict[str, Any]
    path: Path
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def short_class(self) -> str:
        """The class name without its package, e.g. ``Tokenizer``."""
        return self.class_name.rsplit(".", 1)[-1]

    @property
    def spark_major(self) -> int:
        """Major version of the Spark that saved the stage (2, 3 or 4)."""
        try:
            return int(self.spark_version.split(".")[0])
        except ValueError:
            return 0

    def spark_at_least(self, major: int, minor: int = 0) -> bool:
        """True when the Spark that saved the stage is ``major.minor`` or newer."""
        parts = (self.spark_version.split(".") + ["0", "0"])[:2]
        try:
            return (int(parts[0]), int(parts[1])) >= (major, minor)
        except ValueError:
            return False

    def get(self, name: str, default: Any = None) -> Any:
        """Effective value of a param: the user-set one, else Spark's default."""
        return self.params.get(name, default)

    def require(self, name: str) -> Any:
        """Effective value of a param that must be present."""
        if name not in self.params:
            raise ModelLoadError(f"{self.class_name} (uid {self.uid}): param '{name}' missing in {self.path}")
        return self.params[name]

    def double(self, name: str, default: float | None = None) -> float:
        """A double param, reading Spark's "NaN"/"Inf" spellings."""
        value = self.params.get(name, default)
        if isinstance(value, str):
            if value in _SPECIAL_DOUBLES:
                return _SPECIAL_DOUBLES[value]
            return float(value)
        if value is None:
            raise ModelLoadError(f"{self.class_name} (uid {self.uid}): param '{name}' missing")
        return float(value)

    def has(self, name: str) -> bool:
        """True when the param has a user-set or default value."""
        return name in self.params


def _metadata_file(stage_dir: Path) -> Path:
    meta_dir = stage_dir / "metadata"
    if not meta_dir.is_dir():
        raise ModelLoadError(f"{stage_dir} is not a saved Spark ML model: no metadata/ directory")
    # Spark <= 3.5 writes part-00000, 4.x part-00000-<uuid>-c000.txt; skip .crc and _SUCCESS.
    parts = sorted(p for p in meta_dir.glob("part-*") if not p.name.endswith(".crc"))
    if not parts:
        raise ModelLoadError(f"{meta_dir} holds no part-* metadata file")
    return parts[0]


def read_metadata(stage_dir: str | Path) -> StageMetadata:
    """Read a saved stage's metadata and merge its default and user-set params."""
    stage_dir = Path(stage_dir)
    path = _metadata_file(stage_dir)
    try:
        line = path.read_text(encoding="utf-8").strip().splitlines()[0]
        raw = json.loads(line)
    except (OSError, IndexError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot read Spark metadata {path}: {exc}") from exc
    params: dict[str, Any] = dict(raw.get("defaultParamMap") or {})
    params.update(raw.get("paramMap") or {})
    return StageMetadata(
        class_name=str(raw.get("class", "")),
        uid=str(raw.get("uid", "")),
        spark_version=str(raw.get("sparkVersion", "")),
        params=params,
        path=stage_dir,
        raw=raw,
    )


def pipeline_stage_dirs(meta: StageMetadata, *, complete: bool = True) -> list[Path]:
    """The stage directories of the saved PipelineModel ``meta`` describes, in pipeline order.

    Spark saves stage ``i`` under ``stages/<i>_<uid>`` and lists the order in ``stageUids``.
    With ``complete`` a missing ``stageUids`` or stage directory is a ``ModelLoadError``;
    without, the directories that exist are returned (for best-effort lookups).
    """
    uids = meta.params.get("stageUids")
    if uids is None:
        if complete:
            raise ModelLoadError(f"{meta.path}: PipelineModel metadata has no stageUids")
        return []
    stages = Path(meta.path) / "stages"
    by_uid = {d.name.split("_", 1)[1]: d for d in stages.iterdir() if d.is_dir() and "_" in d.name}
    missing = [u for u in uids if u not in by_uid]
    if missing and complete:
        raise ModelLoadError(f"{meta.path}: stage directory for uid {missing[0]!r} is missing")
    return [by_uid[u] for u in uids if u in by_uid]
