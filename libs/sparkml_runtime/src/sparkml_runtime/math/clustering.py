"""K-means assignment exactly as Spark's ``DistanceMeasure.findClosest`` decides it.

Spark does not take a plain argmin: it prunes with triangle-inequality statistics between
centers (when ``k < 1000`` and ``k² · features < 10⁶``), may stop early at a center that is
provably closest, and measures Euclidean distance with ``MLUtils.fastSquaredDistance``
(exact for two dense vectors, ``‖a‖² + ‖b‖² - 2 a·b`` otherwise unless that is imprecise).
Reproducing those steps is what makes ties and near-ties land where Spark puts them.
"""

from __future__ import annotations

import math

import numpy as np

EPSILON = float(np.finfo(np.float64).eps)  # MLUtils.EPSILON: 2^-52
PRECISION = 1e-6  # fastSquaredDistance's default precision


def tri(k: int, i: int, j: int) -> int:
    """``Utils.indexUpperTriangular``: position of (i, j) in a packed symmetric k × k matrix."""
    return j * (j + 1) // 2 + i if i <= j else i * (i + 1) // 2 + j


def fast_squared_distance(
    dot: np.ndarray, norm_a: np.ndarray, norm_b: np.ndarray, both_dense: np.ndarray, exact: np.ndarray
) -> np.ndarray:
    """``MLUtils.fastSquaredDistance`` elementwise, given a·b, both norms and the exact value.

    ``exact`` is the plainly summed squared distance; it is used when both vectors are dense
    or when the norm-based shortcut would lose precision, as Spark decides.
    """
    sum_sq = norm_a * norm_a + norm_b * norm_b
    norm_diff = norm_a - norm_b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bound1 = 2.0 * EPSILON * sum_sq / (norm_diff * norm_diff + EPSILON)
        shortcut = sum_sq - 2.0 * dot
        clamped = np.maximum(shortcut, 0.0)
        bound2 = EPSILON * (sum_sq + 2.0 * np.abs(dot)) / (clamped + EPSILON)
    sparse_result = np.where(bound1 < PRECISION, shortcut, np.where(bound2 > PRECISION, exact, clamped))
    return np.where(both_dense, exact, sparse_result)


class KMeansCenters:
    """Cluster centers with their norms and Spark's pruning statistics, for one measure.

    ``centers`` is a dense (k, features) array; ``centers_dense`` says which centers Spark
    holds as dense vectors (saved centers nearly always are).
    """

    def __init__(self, centers: np.ndarray, centers_dense: np.ndarray, measure: str) -> None:
        if measure not in ("euclidean", "cosine"):
            raise ValueError(f"unknown distanceMeasure {measure!r}; Spark supports euclidean and cosine")
        self.centers = centers
        self.centers_dense = centers_dense
        self.measure = measure
        self.k = centers.shape[0]
        self.norms = np.sqrt((centers * centers).sum(axis=1))
        k, d = centers.shape
        use_stats = k < 1000 and k * k * d < 1_000_000  # shouldComputeStatistics(Locally)
        self.statistics: list[float] | None = self._statistics() if use_stats else None
        self._norms = self.norms.tolist()

    def _statistics(self) -> list[float]:
        """``computeStatistics``: per pair a bound from their distance; diagonal = row minimum."""
        k = self.k
        if k == 1:
            return [math.nan]
        packed = [0.0] * (k * (k + 1) // 2)
        diag = [math.inf] * k
        dist = self.distances(self.centers, self.norms, self.centers_dense)
        for i in range(k):
            for j in range(i + 1, k):
                d = float(dist[j, i])  # distance(centers(i), centers(j)): center i plays "center"
                if self.measure == "euclidean":
                    d = math.sqrt(d)  # EuclideanDistanceMeasure.distance is the root of fastSquaredDistance
                    s = 0.25 * d * d
                else:
                    s = 1.0 - math.sqrt(1.0 - d / 2.0) if d <= 2.0 else math.nan
                packed[tri(k, i, j)] = s
                diag[i] = min(diag[i], s) if s == s else diag[i]
                diag[j] = min(diag[j], s) if s == s else diag[j]
        for i in range(k):
            packed[tri(k, i, i)] = diag[i]
        return packed

    def distances(self, points: np.ndarray, point_norms: np.ndarray, points_dense: np.ndarray) -> np.ndarray:
        """(n, k) distances of dense-stored points to every center, as Spark measures them.

        Euclidean gives fastSquaredDistance (squared), cosine ``1 - c·p / ‖c‖ / ‖p‖``.
        """
        dots = points @ self.centers.T
        if self.measure == "cosine":
            with np.errstate(divide="ignore", invalid="ignore"):
                return 1.0 - dots / self.norms[None, :] / point_norms[:, None]
        exact = np.empty_like(dots)
        for c in range(self.k):  # one center at a time keeps memory at n × features
            diff = points - self.centers[c]
            exact[:, c] = (diff * diff).sum(axis=1)
        both_dense = points_dense[:, None] & self.centers_dense[None, :]
        return fast_squared_distance(dots, self.norms[None, :], point_norms[:, None], both_dense, exact)

    def closest(self, dist: np.ndarray, point_norms: np.ndarray) -> np.ndarray:
        """``findClosest`` for every row of an (n, k) distance matrix: the chosen center."""
        n = dist.shape[0]
        best_index = np.zeros(n, dtype=np.int64)
        if self.statistics is None:
            best = np.full(n, np.inf)
            for i in range(self.k):
                d = dist[:, i]
                take = self._lower_bound(i, point_norms) < best if self.measure == "euclidean" else np.ones(n, bool)
                take &= d < best
                best = np.where(take, d, best)
                best_index[take] = i
            return best_index
        stats = np.array(self.statistics)
        best = dist[:, 0].copy()
        done = best < stats[0]
        for i in range(1, self.k):
            live = ~done
            if self.measure == "euclidean":
                live &= self._lower_bound(i, point_norms) < best
            pair_bound = stats[i * (i + 1) // 2 + best_index]  # tri(k, i, best) with best < i
            live &= pair_bound < best
            d = dist[:, i]
            finish = live & (d < stats[tri(self.k, i, i)])
            better = live & ~finish & (d < best)
            best_index[finish | better] = i
            best = np.where(better, d, best)
            done |= finish
        return best_index

    def _lower_bound(self, i: int, point_norms: np.ndarray) -> np.ndarray:
        diff = self.norms[i] - point_norms
        return diff * diff

    def closest_row(self, dist: list[float], point_norm: float) -> int:
        """Row form of :meth:`closest` (a plain loop, as Spark's)."""
        euclidean = self.measure == "euclidean"
        norms = self._norms
        stats = self.statistics
        if stats is None:
            best, best_index = math.inf, 0
            for i, d in enumerate(dist):
                if euclidean and not (norms[i] - point_norm) ** 2 < best:
                    continue
                if d < best:
                    best, best_index = d, i
            return best_index
        k = self.k
        best, best_index = dist[0], 0
        if best < stats[0]:
            return 0
        for i in range(1, k):
            if euclidean and not (norms[i] - point_norm) ** 2 < best:
                continue
            if stats[tri(k, i, best_index)] < best:
                d = dist[i]
                if d < stats[tri(k, i, i)]:
                    return i
                if d < best:
                    best, best_index = d, i
        return best_index


def descend_tree(dist: np.ndarray, children: list[list[int]], root: int, leaf_index: list[int]) -> np.ndarray:
    """Bisecting k-means ``ClusteringTreeNode.predict`` for every row of an (n, nodes) cost matrix.

    From the root, each row moves to the child with the smallest cost (the first one on a
    tie, as Scala's ``minBy``) until a leaf; the result is that leaf's cluster index.
    """
    n = dist.shape[0]
    node = np.full(n, root, dtype=np.int64)
    for _ in range(len(children)):  # a path is never longer than the node count
        moved = False
        for parent in np.unique(node).tolist():
            kids = children[parent]
            if not kids:
                continue
            at = node == parent
            costs = dist[np.ix_(at, kids)]
            best = np.zeros(costs.shape[0], dtype=np.int64)
            top = costs[:, 0].copy()
            for j in range(1, len(kids)):
                better = costs[:, j] < top
                best[better] = j
                top = np.where(better, costs[:, j], top)
            node[at] = np.asarray(kids)[best]
            moved = True
        if not moved:
            break
    return np.asarray(leaf_index)[node]


def descend_tree_row(dist: list[float], children: list[list[int]], root: int, leaf_index: list[int]) -> int:
    """Row form of :func:`descend_tree`."""
    node = root
    while children[node]:
        kids = children[node]
        best = kids[0]
        for k in kids[1:]:
            if dist[k] < dist[best]:
                best = k
        node = best
    return leaf_index[node]
