"""Tree models: decision trees, random forests and gradient-boosted trees (both kinds).

Nodes are read from ``data/`` (one tree: NodeData rows; ensembles: ``(treeID, nodeData)``
rows plus ``treesMetadata/`` with each tree's weight), in Spark >= 3.0's layout (with
``rawCount``) and the older one, and flattened once into a :class:`~..math.trees.Forest`.
Outputs follow each Spark model's ``transform``, including the optional ``leafCol``
(pre-order leaf numbers) and, for a single regression tree, ``varianceCol``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import read_data
from ..io.metadata import StageMetadata
from ..math import linear as lm
from ..math.trees import Forest, NodeTable, SparseRow
from ..vectors import SparseVector, Vector, VectorColumn, vector_size
from .base import Stage, register, row_vector
from .classification import ProbabilisticClassifier, output_col

_PKG = "org.apache.spark.ml"


# --- reading the saved nodes -----------------------------------------------------------------
def _flat_columns(table: pa.Table) -> dict[str, Any]:
    """Columns by their innermost name, with struct columns (nodeData, split) flattened."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return {name.rsplit(".", 1)[-1]: table.column(name) for name in table.column_names}


def _list_column(col: Any, what: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    """A list<double> column as (values, per-row lengths)."""
    values = pc.list_flatten(col).to_numpy(zero_copy_only=False).astype(np.float64)
    lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False).astype(np.int64)
    if (lengths < 0).any():
        raise ModelLoadError(f"{path}: null {what} in the saved tree nodes")
    return values, lengths


def read_trees(meta: StageMetadata) -> list[NodeTable]:
    """Every tree of a saved tree model (one for a single tree), ordered by tree id."""
    path = str(meta.path / "data")
    cols = _flat_columns(read_data(meta.path))
    needed = (
        "id",
        "prediction",
        "impurityStats",
        "leftChild",
        "rightChild",
        "featureIndex",
        "leftCategoriesOrThreshold",
        "numCategories",
    )
    missing = [c for c in needed if c not in cols]
    if missing:
        raise ModelLoadError(f"{path}: tree node data lacks {', '.join(missing)}")

    def ints(name: str) -> np.ndarray:
        return cols[name].to_numpy().astype(np.int64)

    ids = ints("id")
    tree_ids = ints("treeID") if "treeID" in cols else np.zeros(len(ids), dtype=np.int64)
    order = np.lexsort((ids, tree_ids))
    stats_values, stats_len = _list_column(cols["impurityStats"], "impurityStats", path)
    if len(set(stats_len.tolist())) > 1:
        raise ModelLoadError(f"{path}: tree nodes hold impurity statistics of different lengths")
    width = int(stats_len[0]) if len(stats_len) else 0
    stats = stats_values.reshape(len(ids), width)
    split_values, split_len = _list_column(cols["leftCategoriesOrThreshold"], "split", path)
    split_start = np.concatenate(([0], np.cumsum(split_len)[:-1]))
    prediction = cols["prediction"].to_numpy().astype(np.float64)
    feature, left, right, num_cats = ints("featureIndex"), ints("leftChild"), ints("rightChild"), ints("numCategories")

    trees = []
    sorted_trees = tree_ids[order]
    bounds = np.flatnonzero(np.diff(sorted_trees)) + 1
    for part in np.split(order, bounds) if len(order) else []:
        if not np.array_equal(ids[part], np.arange(len(part))):
            raise ModelLoadError(f"{path}: node ids of tree {int(tree_ids[part[0]])} are not 0..n-1")
        is_leaf = left[part] < 0
        trees.append(
            NodeTable(
                prediction=prediction[part],
                stats=stats[part],
                feature=np.where(is_leaf, -1, feature[part]),
                left=np.where(is_leaf, -1, left[part]),
                right=np.where(is_leaf, -1, right[part]),
                split_values=[split_values[split_start[i] : split_start[i] + split_len[i]].tolist() for i in part],
                num_categories=num_cats[part],
            )
        )
    if not trees:
        raise ModelLoadError(f"{path} holds no tree nodes")
    for t in trees:
        _check_tree(t, path)
    return trees


def _check_tree(t: NodeTable, path: str) -> None:
    n = len(t.feature)
    internal = np.flatnonzero(t.feature >= 0)
    if (
        (t.left[internal] <= internal)
        | (t.left[internal] >= n)
        | (t.right[internal] <= internal)
        | (t.right[internal] >= n)
    ).any():
        raise ModelLoadError(f"{path}: a tree node points to a child outside its tree")
    for i in internal:
        k, values = int(t.num_categories[i]), t.split_values[i]
        if k == -1 and len(values) != 1:
            raise ModelLoadError(f"{path}: a continuous split needs exactly one threshold")
        if k != -1 and any(not (0 <= v < k) for v in values):
            raise ModelLoadError(f"{path}: categorical split categories outside 0..{k - 1}")


def read_tree_weights(meta: StageMetadata, num_trees: int) -> np.ndarray:
    """Tree weights from ``treesMetadata/`` (columns treeID, metadata, weights, or _1.._3)."""
    table = read_data(meta.path, "treesMetadata")
    if table.num_columns < 3:
        raise ModelLoadError(f"{meta.path}/treesMetadata should have (treeID, metadata, weights) columns")
    tree_ids = table.column(0).to_numpy().astype(np.int64)
    weights = table.column(2).to_numpy().astype(np.float64)[np.argsort(tree_ids)]
    if len(weights) != num_trees:
        raise ModelLoadError(f"{meta.path}: {len(weights)} tree weights for {num_trees} trees")
    return weights


def _num_features(meta: StageMetadata) -> int | None:
    value = meta.raw.get("numFeatures")
    return int(value) if value is not None else None


def _row_values(x: Vector) -> Any:
    """A feature vector as something indexable by feature number, cheaply, for the row walk."""
    if isinstance(x, SparseVector):
        return SparseRow(zip(x.indices.tolist(), x.values.tolist(), strict=True))
    return x.tolist()


def _check_size(stage: Stage, forest: Forest, num_features: int | None, size: int, row: int | None) -> None:
    """Features must have the model's size (or, when unrecorded, reach every split feature)."""
    if num_features is not None and size != num_features:
        raise stage.invalid(
            f"features have size {size}, the model expects {num_features}", column=_features(stage), row=row
        )
    if num_features is None and size <= forest.max_feature:
        raise stage.invalid(
            f"features have size {size}, the model splits on feature {forest.max_feature}",
            column=_features(stage),
            row=row,
        )


def _features(stage: Stage) -> str:
    return str(getattr(stage, "features_col", "features"))


def _leaf_output(forest: Forest, leaves: np.ndarray, ensemble: bool) -> Any:
    """leafCol for a batch: the pre-order leaf number (a vector of them for ensembles)."""
    numbers = forest.leaf_index[leaves].astype(np.float64)
    return VectorColumn.from_dense(numbers) if ensemble else numbers[:, 0]


def _leaf_output_row(forest: Forest, leaves: list[int], ensemble: bool) -> Any:
    """Row form of :func:`_leaf_output`."""
    numbers = [float(forest.leaf_index[n]) for n in leaves]
    return np.array(numbers) if ensemble else numbers[0]


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_t values[:, t] · weights[t], added tree by tree (the order of Spark's ddot loop)."""
    total = np.zeros(values.shape[0])
    for t in range(values.shape[1]):
        total += values[:, t] * weights[t]
    return total


def _weighted_sum_row(values: list[float], weights: list[float]) -> float:
    total = 0.0
    for v, w in zip(values, weights, strict=True):
        total += v * w
    return total


def _num_classes(meta: StageMetadata, trees: list[NodeTable]) -> int:
    value = meta.raw.get("numClasses")
    return int(value) if value is not None else int(trees[0].stats.shape[1])


# --- classifiers -------------------------------------------------------------------------------
class _TreeClassifier(ProbabilisticClassifier):
    """Shared wiring of the three tree classifiers: raw scores come from the leaves reached."""

    ensemble = True

    def __init__(self, meta: StageMetadata, forest: Forest, num_classes: int) -> None:
        super().__init__(meta, num_classes, _num_features(meta))
        self.forest = forest
        self.leaf_col = str(meta.get("leafCol") or "")

    @abstractmethod
    def raw_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        """Raw scores from the (n, trees) array of leaves reached."""

    @abstractmethod
    def raw_from_leaves_row(self, leaves: list[int]) -> list[float]:
        """Row form of :meth:`raw_from_leaves`."""

    def features_batch(self, frame: Frame) -> VectorColumn:
        x = frame.vectors(self.features_col, self.name)
        if len(x):
            _check_size(self, self.forest, self.num_features, x.size, 0)
        return x

    def features_row(self, row: dict[str, Any]) -> Vector:
        x = row_vector(self, row, self.features_col)
        _check_size(self, self.forest, self.num_features, vector_size(x), None)
        return x

    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        return self.raw_from_leaves(self.forest.leaves(x))

    def raw_row(self, x: Vector) -> list[float]:
        return self.raw_from_leaves_row(self.forest.leaves_row(_row_values(x)))

    def output_fields(self) -> list[Field]:
        fields = super().output_fields()
        if self.leaf_col:
            fields.append(Field(self.leaf_col, "vector" if self.ensemble else "double", nullable=False))
        return fields

    def transform_batch(self, frame: Frame) -> None:
        super().transform_batch(frame)
        if self.leaf_col:
            leaves = self.forest.leaves(self.features_batch(frame))
            frame.set(self.leaf_col, _leaf_output(self.forest, leaves, self.ensemble))

    def transform_row(self, row: dict[str, Any]) -> None:
        super().transform_row(row)
        if self.leaf_col:
            leaves = self.forest.leaves_row(_row_values(self.features_row(row)))
            row[self.leaf_col] = _leaf_output_row(self.forest, leaves, self.ensemble)


@register(f"{_PKG}.classification.DecisionTreeClassificationModel")
class DecisionTreeClassifier(_TreeClassifier):
    """One classification tree: raw = the leaf's class counts, probability = counts / total."""

    ensemble = False

    def __init__(self, meta: StageMetadata, forest: Forest, num_classes: int) -> None:
        super().__init__(meta, forest, num_classes)
        self._stats_rows = forest.stats.tolist()

    @classmethod
    def load(cls, meta: StageMetadata) -> DecisionTreeClassifier:
        trees = read_trees(meta)
        if len(trees) != 1:
            raise ModelLoadError(f"{meta.path}: a decision tree model holds {len(trees)} trees")
        return cls(meta, Forest(trees), _num_classes(meta, trees))

    def raw_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        return self.forest.stats[leaves[:, 0]]

    def raw_from_leaves_row(self, leaves: list[int]) -> list[float]:
        return list(self._stats_rows[leaves[0]])

    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        return self.normalized_batch(raw)

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        return self.normalized_row(raw)


@register(f"{_PKG}.classification.RandomForestClassificationModel")
class RandomForestClassifier(_TreeClassifier):
    """Random forest: raw = Σ over trees of the leaf's class counts / their total."""

    def __init__(self, meta: StageMetadata, forest: Forest, num_classes: int) -> None:
        super().__init__(meta, forest, num_classes)
        totals = forest.stats.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            # A leaf whose counts sum to 0 casts no vote (Spark skips it).
            self.votes = np.where(totals != 0, forest.stats / totals, 0.0)
        self._votes_rows = [tuple(v) for v in self.votes.tolist()]
        self._classes = range(num_classes)

    @classmethod
    def load(cls, meta: StageMetadata) -> RandomForestClassifier:
        trees = read_trees(meta)
        read_tree_weights(meta, len(trees))  # checks the layout; Spark ignores RF weights
        return cls(meta, Forest(trees), _num_classes(meta, trees))

    def raw_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        raw = np.zeros((leaves.shape[0], self.num_classes))
        for t in range(leaves.shape[1]):
            raw += self.votes[leaves[:, t]]
        return raw

    def raw_from_leaves_row(self, leaves: list[int]) -> list[float]:
        votes_rows = self._votes_rows
        if self.num_classes == 2:  # the common case, unrolled: this loop is the benchmark's hot spot
            r0 = r1 = 0.0
            for leaf in leaves:
                v0, v1 = votes_rows[leaf]
                r0 += v0
                r1 += v1
            return [r0, r1]
        raw = [0.0] * self.num_classes
        for leaf in leaves:
            raw = [a + b for a, b in zip(raw, votes_rows[leaf], strict=True)]
        return raw

    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        return self.normalized_batch(raw)

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        return self.normalized_row(raw)


@register(f"{_PKG}.classification.GBTClassificationModel")
class GBTClassifier(_TreeClassifier):
    """Gradient-boosted trees (log loss): margin m = Σ w_t · tree_t(x); raw = [-m, m];
    probability = [1 / (1 + e^(-2 · -m)), 1 - that]."""

    def __init__(self, meta: StageMetadata, forest: Forest, weights: np.ndarray) -> None:
        super().__init__(meta, forest, 2)
        loss = str(meta.get("lossType", "logistic")).lower()
        if loss != "logistic":
            raise UnsupportedStageError(meta.class_name, meta.uid, f"unknown lossType {loss!r}")
        self.weights = weights
        self._weights = weights.tolist()
        self._predictions = forest.prediction.tolist()

    @classmethod
    def load(cls, meta: StageMetadata) -> GBTClassifier:
        trees = read_trees(meta)
        return cls(meta, Forest(trees), read_tree_weights(meta, len(trees)))

    def raw_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        m = _weighted_sum(self.forest.prediction[leaves], self.weights)
        return np.column_stack([-m, m])

    def raw_from_leaves_row(self, leaves: list[int]) -> list[float]:
        predictions = self._predictions
        m = _weighted_sum_row([predictions[n] for n in leaves], self._weights)
        return [-m, m]

    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        p0 = lm.sigmoid(2.0 * raw[:, 0])  # LogLoss.computeProbability(raw[0])
        return np.column_stack([p0, 1.0 - p0])

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        p0 = lm.sigmoid_scalar(2.0 * raw[0])
        return [p0, 1.0 - p0]


# --- regressors --------------------------------------------------------------------------------
class _TreeRegressor(Stage):
    """Shared wiring of the three tree regressors: prediction (and leafCol) from the leaves."""

    ensemble = True

    def __init__(self, meta: StageMetadata, forest: Forest) -> None:
        super().__init__(meta)
        self.forest = forest
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = output_col(meta, "predictionCol", "prediction")
        self.leaf_col = str(meta.get("leafCol") or "")
        self.num_features = _num_features(meta)
        self._predictions = forest.prediction.tolist()

    @abstractmethod
    def predict_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        """Predictions from the (n, trees) array of leaves reached."""

    @abstractmethod
    def predict_from_leaves_row(self, leaves: list[int]) -> float:
        """Row form of :meth:`predict_from_leaves`."""

    def extra_outputs(self) -> list[str]:
        """Output columns between prediction and leafCol (a single tree's variance)."""
        return []

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        fields = [Field(name, "double", nullable=False) for name in [self.pred_col, *self.extra_outputs()] if name]
        if self.leaf_col:
            fields.append(Field(self.leaf_col, "vector" if self.ensemble else "double", nullable=False))
        return fields

    def set_extra_batch(self, frame: Frame, leaves: np.ndarray) -> None:
        """Add the extra outputs for a batch."""

    def set_extra_row(self, row: dict[str, Any], leaves: list[int]) -> None:
        """Add the extra outputs for one row."""

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if len(x):
            _check_size(self, self.forest, self.num_features, x.size, 0)
        leaves = self.forest.leaves(x)
        if self.pred_col:
            frame.set(self.pred_col, self.predict_from_leaves(leaves))
        self.set_extra_batch(frame, leaves)
        if self.leaf_col:
            frame.set(self.leaf_col, _leaf_output(self.forest, leaves, self.ensemble))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        _check_size(self, self.forest, self.num_features, vector_size(x), None)
        leaves = self.forest.leaves_row(_row_values(x))
        if self.pred_col:
            row[self.pred_col] = self.predict_from_leaves_row(leaves)
        self.set_extra_row(row, leaves)
        if self.leaf_col:
            row[self.leaf_col] = _leaf_output_row(self.forest, leaves, self.ensemble)


@register(f"{_PKG}.regression.DecisionTreeRegressionModel")
class DecisionTreeRegressor(_TreeRegressor):
    """One regression tree: the leaf's prediction, and its variance under ``varianceCol``."""

    ensemble = False

    def __init__(self, meta: StageMetadata, forest: Forest) -> None:
        super().__init__(meta, forest)
        self.variance_col = str(meta.get("varianceCol") or "")
        if self.variance_col:
            if forest.stats.shape[1] != 3:
                raise ModelLoadError(f"{meta.path}: varianceCol needs (count, sum, sum of squares) node statistics")
            count, total, squares = forest.stats[:, 0], forest.stats[:, 1], forest.stats[:, 2]
            with np.errstate(divide="ignore", invalid="ignore"):
                # Variance.calculate: 0 for an empty node, else (Σy² - (Σy)² / n) / n.
                self.variance = np.where(count == 0, 0.0, (squares - total * total / count) / count)
            self._variance = self.variance.tolist()

    @classmethod
    def load(cls, meta: StageMetadata) -> DecisionTreeRegressor:
        trees = read_trees(meta)
        if len(trees) != 1:
            raise ModelLoadError(f"{meta.path}: a decision tree model holds {len(trees)} trees")
        return cls(meta, Forest(trees))

    def extra_outputs(self) -> list[str]:
        return [self.variance_col] if self.variance_col else []

    def predict_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        return self.forest.prediction[leaves[:, 0]]

    def predict_from_leaves_row(self, leaves: list[int]) -> float:
        return float(self._predictions[leaves[0]])

    def set_extra_batch(self, frame: Frame, leaves: np.ndarray) -> None:
        if self.variance_col:
            frame.set(self.variance_col, self.variance[leaves[:, 0]])

    def set_extra_row(self, row: dict[str, Any], leaves: list[int]) -> None:
        if self.variance_col:
            row[self.variance_col] = self._variance[leaves[0]]


@register(f"{_PKG}.regression.RandomForestRegressionModel")
class RandomForestRegressor(_TreeRegressor):
    """Random forest regression: the mean of the trees' predictions (weights ignored, as Spark)."""

    @classmethod
    def load(cls, meta: StageMetadata) -> RandomForestRegressor:
        trees = read_trees(meta)
        read_tree_weights(meta, len(trees))
        return cls(meta, Forest(trees))

    def predict_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        values = self.forest.prediction[leaves]
        total = np.zeros(values.shape[0])
        for t in range(values.shape[1]):  # summed tree by tree, as Scala's Array.sum
            total += values[:, t]
        return total / self.forest.num_trees

    def predict_from_leaves_row(self, leaves: list[int]) -> float:
        predictions = self._predictions
        total = 0.0
        for n in leaves:
            total += predictions[n]
        return total / self.forest.num_trees


@register(f"{_PKG}.regression.GBTRegressionModel")
class GBTRegressor(_TreeRegressor):
    """Gradient-boosted regression: Σ w_t · tree_t(x)."""

    def __init__(self, meta: StageMetadata, forest: Forest, weights: np.ndarray) -> None:
        super().__init__(meta, forest)
        self.weights = weights
        self._weights = weights.tolist()

    @classmethod
    def load(cls, meta: StageMetadata) -> GBTRegressor:
        trees = read_trees(meta)
        return cls(meta, Forest(trees), read_tree_weights(meta, len(trees)))

    def predict_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        return _weighted_sum(self.forest.prediction[leaves], self.weights)

    def predict_from_leaves_row(self, leaves: list[int]) -> float:
        predictions = self._predictions
        return _weighted_sum_row([predictions[n] for n in leaves], self._weights)
