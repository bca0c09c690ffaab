"""One-hot encoding of category indices, as Spark's OneHotEncoderModel does it."""

from __future__ import annotations

import numpy as np


def encoded_sizes(category_sizes: list[int], *, drop_last: bool, keep_invalid: bool) -> list[int]:
    """Output vector sizes: 'keep' adds a slot for invalid values, dropLast removes the last slot."""
    if keep_invalid and not drop_last:
        return [s + 1 for s in category_sizes]
    if drop_last and not keep_invalid:
        return [s - 1 for s in category_sizes]
    return list(category_sizes)


def hot_positions(values: np.ndarray, category_size: int, *, keep_invalid: bool) -> tuple[np.ndarray, np.ndarray]:
    """The one-hot position of each value and a mask of invalid values.

    A value v with 0 <= v < category_size is valid and lands at int(v) (so 1.7 lands at 1);
    NaN, negatives and values past the categories are invalid and land at category_size
    under 'keep'. Positions are -1 where invalid and not kept.
    """
    with np.errstate(invalid="ignore"):
        valid = (values >= 0) & (values < category_size)
    pos = np.where(valid, np.trunc(np.where(valid, values, 0.0)), -1.0).astype(np.int64)
    invalid = ~valid
    if keep_invalid:
        pos[invalid] = category_size
    return pos, invalid
