"""Discretising math: Spark's bucket search (Java ordering of doubles) and binarisation."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

_LOW_63_BITS = np.int64(0x7FFFFFFFFFFFFFFF)


def java_order_keys(x: np.ndarray) -> np.ndarray:
    """int64 keys that sort doubles as Java's ``Double.compare`` does (so -0.0 < 0.0).

    Spark's Bucketizer searches with ``java.util.Arrays.binarySearch``, which uses that
    total order rather than ``<``; the two differ only for -0.0 against a split at 0.0.
    """
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    return bits ^ ((bits >> 63) & _LOW_63_BITS)


def bucket_indices(splits: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spark's ``binarySearchForBuckets`` for non-NaN ``x``: (buckets as float64, out-of-range mask).

    A bucket holds ``[splits[i], splits[i+1])``; the last one also holds ``splits[-1]``.
    """
    n = len(splits)
    pos = np.searchsorted(java_order_keys(splits), java_order_keys(x), side="right")
    at_last = x == splits[-1]
    buckets = np.where(at_last, n - 2, pos - 1).astype(np.float64)
    out_of_range = ~at_last & ((pos == 0) | (pos == n))
    return buckets, out_of_range


def bucket_index(splits: Sequence[float], x: float) -> int | None:
    """One value's bucket (``x`` not NaN), or None when it lies outside the splits."""
    n = len(splits)
    if x == splits[-1]:
        return n - 2
    pos = bisect_right(splits, x)
    # Java orders -0.0 below 0.0; Python's bisect treats them as equal.
    if x == 0.0 and pos > 0 and splits[pos - 1] == 0.0 and math.copysign(1.0, x) < math.copysign(1.0, splits[pos - 1]):
        pos -= 1
    if pos == 0 or pos == n:
        return None
    return pos - 1


def binarize_scalars(x: np.ndarray, threshold: float) -> np.ndarray:
    """1.0 where ``x > threshold`` else 0.0 (NaN and null give 0.0, as Spark's SQL expression)."""
    with np.errstate(invalid="ignore"):
        return (x > threshold).astype(np.float64)


def binarize_dense(x: np.ndarray, threshold: float) -> np.ndarray:
    """Binarize dense vector rows as Spark does.

    With ``threshold >= 0`` only non-zeros above it become 1.0 (NaN gives 0.0). With a negative
    threshold Spark starts from all ones and zeroes the non-zeros ``<= threshold``, so a NaN
    entry stays 1.0.
    """
    with np.errstate(invalid="ignore"):
        if threshold >= 0:
            return (x > threshold).astype(np.float64)
        return np.where(x <= threshold, 0.0, 1.0)


def binarize_sparse_values(values: np.ndarray, threshold: float) -> np.ndarray:
    """Keep-mask over a sparse vector's stored values for ``threshold >= 0`` (value > threshold)."""
    with np.errstate(invalid="ignore"):
        return values > threshold
