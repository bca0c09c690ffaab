"""Category maps of VectorIndexerModel as sorted arrays, applied to whole columns of values."""

from __future__ import annotations

import numpy as np


class CategoryMap:
    """One feature's map from raw value to category index.

    Lookups follow Scala's ``Map[Double, Int]``: -0.0 finds 0.0, NaN finds nothing.
    """

    __slots__ = ("keys", "codes", "table", "size")

    def __init__(self, mapping: dict[float, int]) -> None:
        keys = np.array(sorted(k for k in mapping if k == k), dtype=np.float64)
        self.keys = keys
        self.codes = np.array([mapping[k] for k in keys.tolist()], dtype=np.float64)
        self.table = {float(k): float(c) for k, c in zip(keys.tolist(), self.codes.tolist(), strict=True)}
        self.size = len(mapping)  # 'keep' puts invalid values at the map's size

    def apply(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mapped values and a mask of values the map does not hold."""
        if self.keys.size == 0:
            return np.zeros_like(values), np.ones(values.shape, dtype=bool)
        pos = np.searchsorted(self.keys, values)
        pos = np.minimum(pos, self.keys.size - 1)
        found = self.keys[pos] == values  # NaN compares unequal: never found
        return np.where(found, self.codes[pos], 0.0), ~found
