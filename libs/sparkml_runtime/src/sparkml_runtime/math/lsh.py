"""Locality-sensitive hashes, as Spark's ``MinHashLSHModel`` and
``BucketedRandomProjectionLSHModel`` compute them (one 1-element vector per hash table).

MinHash: ``min over non-zero indices i of ((1 + i) · a + b) mod 2038074743`` per (a, b).
Bucketed random projection: ``floor((1 / bucketLength) · (r · x))`` per random unit vector r.
"""

from __future__ import annotations

import numpy as np

HASH_PRIME = 2038074743  # MinHashLSH.HASH_PRIME


def minhash(rows: np.ndarray, indices: np.ndarray, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, tables) MinHash values from the (row, index) pairs of the non-zero entries.

    Rows without a non-zero entry keep the sentinel -1 (Spark refuses them).
    """
    hashes = ((1 + indices[:, None].astype(np.int64)) * a[None, :] + b[None, :]) % HASH_PRIME
    out = np.full((n, a.size), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, rows, hashes)
    out[np.bincount(rows, minlength=n) == 0] = -1
    return out


def minhash_row(indices: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[float]:
    """MinHash values of one vector's non-zero indices."""
    hashes = ((1 + indices[:, None].astype(np.int64)) * a[None, :] + b[None, :]) % HASH_PRIME
    return [float(v) for v in hashes.min(axis=0)]


def bucket(projections: np.ndarray, bucket_length: float) -> np.ndarray:
    """``floor(projection · (1 / bucketLength))`` (BLAS.gemv with alpha = 1 / bucketLength)."""
    return np.floor(projections * (1.0 / bucket_length))
