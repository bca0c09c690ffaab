"""Read a saved stage's ``data/`` parquet and decode Spark's vector and matrix structs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from ..errors import ModelLoadError
from ..vectors import SparseVector, Vector


def read_data(stage_dir: str | Path, subdir: str = "data") -> Any:
    """The ``data/`` (or other) parquet directory of a saved stage as a ``pyarrow.Table``."""
    path = Path(stage_dir) / subdir
    if not path.exists():
        raise ModelLoadError(f"{path} is missing: the saved model has no {subdir}/ directory")
    try:
        # pyarrow skips _SUCCESS and dot-files; part files of ensembles are merged here.
        return pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        raise ModelLoadError(f"cannot read parquet {path}: {exc}") from exc


def read_rows(stage_dir: str | Path, subdir: str = "data") -> list[dict[str, Any]]:
    """The ``data/`` rows as Python dicts (structs become dicts)."""
    return read_data(stage_dir, subdir).to_pylist()


def decode_vector(struct: dict[str, Any] | None) -> Vector:
    """A VectorUDT struct ``{type, size, indices, values}`` as an ndarray or SparseVector."""
    if struct is None:
        raise ModelLoadError("a saved vector is null")
    values = np.asarray(struct["values"], dtype=np.float64)
    if int(struct["type"]) == 1:
        return values
    return SparseVector(int(struct["size"]), np.asarray(struct["indices"], dtype=np.int64), values)


def decode_matrix(struct: dict[str, Any] | None) -> np.ndarray:
    """A MatrixUDT struct as a dense (numRows, numCols) float64 array."""
    if struct is None:
        raise ModelLoadError("a saved matrix is null")
    rows, cols = int(struct["numRows"]), int(struct["numCols"])
    values = np.asarray(struct["values"], dtype=np.float64)
    transposed = bool(struct["isTransposed"])
    if int(struct["type"]) == 1:  # dense: column-major unless transposed
        return values.reshape((rows, cols)) if transposed else values.reshape((cols, rows)).T.copy()
    ptrs = np.asarray(struct["colPtrs"], dtype=np.int64)
    idx = np.asarray(struct["rowIndices"], dtype=np.int64)
    out = np.zeros((rows, cols))
    # CSC; when transposed the same arrays describe CSR (ptrs over rows, indices are columns).
    major = np.repeat(np.arange(len(ptrs) - 1), np.diff(ptrs))
    if transposed:
        out[major, idx] = values
    else:
        out[idx, major] = values
    return out
