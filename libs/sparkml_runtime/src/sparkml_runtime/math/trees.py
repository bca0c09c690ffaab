"""Decision trees flattened into arrays, walked for a whole batch at once or for one row.

A :class:`Forest` holds every node of one or more trees in parallel arrays (a single
decision tree is a forest of one). Split rules are Spark's:

- continuous: go left iff ``x <= threshold`` (so NaN goes right);
- categorical (``CategoricalSplit``): with ``left`` the saved left categories of a feature
  with ``numCategories`` values, Spark keeps a set ``S`` = left when
  ``len(left) <= numCategories // 2`` ("isLeft"), else the complement of left in
  ``0..numCategories-1``; x goes left iff ``(x in S) == isLeft``. A value in no category
  (NaN, unseen, fractional) is in no set: it goes right under isLeft, left otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..vectors import VectorColumn


@dataclass(frozen=True)
class NodeTable:
    """The nodes of one tree as Spark saves them (``NodeData``), indexed by node id.

    Ids are pre-order positions 0..n-1; a leaf has ``left == right == -1`` and
    ``feature == -1``; ``num_categories`` is -1 for a continuous split.
    """

    prediction: np.ndarray
    stats: np.ndarray  # (nodes, stats per node): class counts, or count/sum/sum of squares
    feature: np.ndarray
    left: np.ndarray
    right: np.ndarray
    split_values: list[list[float]]  # threshold (one value) or left categories
    num_categories: np.ndarray


class Forest:
    """Every node of a list of trees, concatenated; children are indices into the arrays."""

    def __init__(self, trees: Sequence[NodeTable]) -> None:
        sizes = [len(t.feature) for t in trees]
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.roots = offsets
        self.num_trees = len(trees)
        self.feature = np.concatenate([t.feature for t in trees]).astype(np.int64)
        self.prediction = np.concatenate([t.prediction for t in trees]).astype(np.float64)
        self.stats = np.concatenate([t.stats for t in trees]).astype(np.float64)
        self.left = np.concatenate([np.where(t.left >= 0, t.left + o, -1) for t, o in zip(trees, offsets, strict=True)])
        self.right = np.concatenate(
            [np.where(t.right >= 0, t.right + o, -1) for t, o in zip(trees, offsets, strict=True)]
        )
        n = len(self.feature)
        self.threshold = np.full(n, np.nan)
        self.cat_slot = np.full(n, -1, dtype=np.int64)
        self.leaf_index = np.full(n, -1, dtype=np.int64)
        cat_sets: list[frozenset[float]] = []
        cat_is_left: list[bool] = []
        node_sets: list[frozenset[float] | None] = [None] * n
        widths = [0]
        pos = 0
        for t in trees:
            self.leaf_index[pos + np.flatnonzero(t.feature < 0)] = np.arange(int((t.feature < 0).sum()))
            for i in np.flatnonzero(t.feature >= 0):
                values, k = t.split_values[i], int(t.num_categories[i])
                if k == -1:
                    self.threshold[pos + i] = values[0]
                    continue
                is_left = len(values) <= k // 2
                chosen = frozenset(values) if is_left else frozenset(float(c) for c in range(k)) - frozenset(values)
                self.cat_slot[pos + i] = len(cat_sets)
                cat_sets.append(chosen)
                cat_is_left.append(is_left)
                node_sets[pos + i] = chosen
                widths.append(k)
            pos += len(t.feature)
        width = max(widths)
        self.cat_member = np.zeros((max(len(cat_sets), 1), max(width, 1)), dtype=bool)
        for slot, chosen in enumerate(cat_sets):
            self.cat_member[slot, [int(c) for c in chosen]] = True
        self.cat_is_left = np.array(cat_is_left or [False])
        self.cat_width = width
        self.has_categorical = bool(cat_sets)
        self.max_feature = int(self.feature.max(initial=-1))
        # One tuple of plain Python values per node for the one-row walk: a single list index
        # and unpack per node is the cheapest step Python offers (numpy indexing is far slower).
        left_flags = [bool(cat_is_left[s]) if s >= 0 else False for s in self.cat_slot.tolist()]
        columns = [self.feature.tolist(), self.threshold.tolist(), self.left.tolist(), self.right.tolist()]
        self._nodes = list(zip(*columns, strict=True))
        self._cat_nodes = list(zip(*columns, node_sets, left_flags, strict=True))
        self._roots = self.roots.tolist()

    # --- one row ------------------------------------------------------------------------------
    def leaves_row(self, xs: Sequence[float]) -> list[int]:
        """The leaf (node index) each tree reaches for one row's feature values."""
        out = []
        if not self.has_categorical:
            nodes = self._nodes
            for n in self._roots:
                f, threshold, left, right = nodes[n]
                while f >= 0:
                    n = left if xs[f] <= threshold else right
                    f, threshold, left, right = nodes[n]
                out.append(n)
            return out
        cat_nodes = self._cat_nodes
        for n in self._roots:
            f, threshold, left, right, chosen, is_left = cat_nodes[n]
            while f >= 0:
                go_left = xs[f] <= threshold if chosen is None else (xs[f] in chosen) == is_left
                n = left if go_left else right
                f, threshold, left, right, chosen, is_left = cat_nodes[n]
            out.append(n)
        return out

    # --- a batch ------------------------------------------------------------------------------
    def leaves(self, x: VectorColumn) -> np.ndarray:
        """An (n, trees) array of the leaf each tree reaches for each row."""
        n, t = len(x), self.num_trees
        node = np.tile(self.roots, n)
        rows = np.repeat(np.arange(n), t)
        lookup = _lookup(x)
        active = np.flatnonzero(self.feature[node] >= 0)
        while active.size:
            nd = node[active]
            f = self.feature[nd]
            values = lookup(rows[active], f)
            with np.errstate(invalid="ignore"):
                go_left = values <= self.threshold[nd]
            slot = self.cat_slot[nd]
            is_cat = slot >= 0
            if is_cat.any():
                go_left[is_cat] = self._categorical(values[is_cat], slot[is_cat])
            node[active] = np.where(go_left, self.left[nd], self.right[nd])
            active = active[self.feature[node[active]] >= 0]
        return node.reshape(n, t)

    def _categorical(self, values: np.ndarray, slot: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            valid = (values >= 0) & (values < self.cat_width) & (values == np.floor(values))
        member = np.zeros(values.shape, dtype=bool)
        member[valid] = self.cat_member[slot[valid], values[valid].astype(np.int64)]
        return member == self.cat_is_left[slot]


def _lookup(x: VectorColumn) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A function (rows, features) -> values reading x without densifying sparse rows."""
    if x.is_dense:
        dense = x.to_dense()
        return lambda rows, cols: dense[rows, cols]
    indptr, indices, values = x.to_csr()
    entry_rows = np.repeat(np.arange(len(x), dtype=np.int64), np.diff(indptr))
    keys = entry_rows * x.size + indices
    if keys.size > 1 and not (np.diff(keys) > 0).all():
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]

    def read(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        wanted = rows * x.size + cols
        pos = np.searchsorted(keys, wanted)
        found = pos < keys.size
        found[found] = keys[pos[found]] == wanted[found]
        out = np.zeros(wanted.shape)
        out[found] = values[pos[found]]
        return out

    return read


class SparseRow(dict):  # type: ignore[type-arg]
    """A sparse vector's entries by index; absent indices read as 0.0 (for the row walk)."""

    def __missing__(self, key: int) -> float:
        return 0.0
