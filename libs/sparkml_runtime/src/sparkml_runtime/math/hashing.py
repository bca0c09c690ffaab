"""Spark's term hashing: MurmurHash3_x86_32 of UTF-8 bytes, seed 42, non-negative modulo."""

from __future__ import annotations

import mmh3

SEED = 42


def murmur3_index(term: str, num_features: int) -> int:
    """Column index Spark (>= 3.0) gives a string term: ``nonNegativeMod(murmur3(term), n)``."""
    # Python's % is already non-negative for a positive modulus, like Utils.nonNegativeMod.
    return mmh3.hash(term.encode("utf-8"), SEED, signed=True) % num_features
