"""Spark's term hashing: MurmurHash3_x86_32 of UTF-8 bytes, seed 42, non-negative modulo."""

from __future__ import annotations

import mmh3
import numpy as np

SEED = 42


def murmur3_index(term: str, num_features: int) -> int:
    """Column index Spark (>= 3.0) gives a string term: ``nonNegativeMod(murmur3(term), n)``."""
    # Python's % is already non-negative for a positive modulus, like Utils.nonNegativeMod.
    return mmh3.hash(term.encode("utf-8"), SEED, signed=True) % num_features


def hashed_feature_vectors(
    n_rows: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum (row, col, value) entries into CSR rows with sorted column indices.

    Entries are given column by column of the input, so equal (row, col) pairs are summed
    in input-column order, as Spark's ``OpenHashMap.changeValue`` does. A pair with one
    entry keeps its value untouched (so -0.0 stays -0.0); zeros are kept, as in Spark.
    """
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    if rows.size == 0:
        return indptr, np.zeros(0, dtype=np.int64), np.zeros(0)
    n_cols = int(cols.max()) + 1
    keys = rows * n_cols + cols
    uniq, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    # bincount adds in array order, i.e. in input-column order within a (row, col) pair.
    summed = np.bincount(inverse, weights=vals, minlength=uniq.size)
    summed = np.where(counts == 1, vals[first], summed)
    out_rows = uniq // n_cols
    np.cumsum(np.bincount(out_rows, minlength=n_rows), out=indptr[1:])
    return indptr, (uniq % n_cols).astype(np.int64), summed


def term_count_vectors(
    lengths: np.ndarray, token_ranks: np.ndarray, rank_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row term counts as CSR rows with sorted column indices (HashingTF's vectors).

    Tokens are given row after row, ``lengths[r]`` of them for row ``r``; ``token_ranks[k]``
    is the position of token k's column in ``rank_index``, the sorted distinct columns of
    the batch. Counts are whole numbers, so the order they are added in cannot change them.
    A batch repeats a small vocabulary: a (rows × distinct columns) table of counts is then
    filled in one ``bincount``, no sort; a large vocabulary falls back to sorting the tokens.
    """
    n_rows, n_distinct = len(lengths), len(rank_index)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    if token_ranks.size == 0:
        return indptr, np.zeros(0, dtype=np.int64), np.zeros(0)
    keys = np.repeat(np.arange(n_rows, dtype=np.int64) * n_distinct, lengths) + token_ranks
    if n_rows * n_distinct <= max(8 * keys.size, 1 << 16):
        table = np.bincount(keys, minlength=n_rows * n_distinct)
        cells = np.flatnonzero(table)
        counts = table[cells]
    else:
        cells, counts = np.unique(keys, return_counts=True)
    np.cumsum(np.bincount(cells // n_distinct, minlength=n_rows), out=indptr[1:])
    return indptr, rank_index[cells % n_distinct].astype(np.int64), counts.astype(np.float64)
