"""Clustering models: KMeansModel and BisectingKMeansModel (euclidean and cosine distance),
GaussianMixtureModel."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.data import decode_matrix, decode_vector, read_rows
from ..io.metadata import StageMetadata, read_metadata
from ..math import classification as cm
from ..math.clustering import KMeansCenters, descend_tree, descend_tree_row
from ..math.mixture import Gaussian, probabilities
from ..vectors import SparseVector, Vector, VectorColumn, to_dense, vector_size
from .base import Stage, first_true, register, row_vector
from .classification import empty_features


def _kmeans_centers(meta: StageMetadata, centers: list[Any], measure: str) -> KMeansCenters:
    """The saved centers as :class:`KMeansCenters` (shared by KMeans and BisectingKMeans)."""
    dense = np.vstack([to_dense(c) for c in centers])
    is_dense = np.array([not isinstance(c, SparseVector) for c in centers])
    try:
        return KMeansCenters(dense, is_dense, measure)
    except ValueError as exc:
        raise UnsupportedStageError(meta.class_name, meta.uid, str(exc)) from None


@register("org.apache.spark.ml.clustering.KMeansModel")
class KMeans(Stage):
    """K-means: prediction is the index (an int, as in Spark) of the closest center."""

    def __init__(self, meta: StageMetadata, centers: list[Vector]) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = str(meta.get("predictionCol", "prediction"))
        measure = str(meta.get("distanceMeasure", "euclidean"))
        if not centers:
            raise ModelLoadError(f"{meta.path}: the saved KMeansModel has no cluster centers")
        sizes = {vector_size(c) for c in centers}
        if len(sizes) != 1:
            raise ModelLoadError(f"{meta.path}: cluster centers have different sizes {sorted(sizes)}")
        self.centers = _kmeans_centers(meta, centers, measure)
        self.num_features = int(self.centers.centers.shape[1])
        self.cosine = measure == "cosine"

    @classmethod
    def load(cls, meta: StageMetadata) -> KMeans:
        rows = read_rows(meta.path)
        if rows and "clusterCenters" in rows[0]:  # Spark 1.6: one row holding every center
            return cls(meta, [decode_vector(c) for c in rows[0]["clusterCenters"]])
        try:
            rows.sort(key=lambda r: int(r["clusterIdx"]))
            return cls(meta, [decode_vector(r["clusterCenter"]) for r in rows])
        except KeyError as exc:
            raise ModelLoadError(f"{meta.path}/data has no {exc} column: not a KMeansModel layout") from None

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.pred_col, "int", nullable=False)]

    def _unmeasurable(self, norms: np.ndarray) -> np.ndarray:
        """Rows Spark fails on: a NaN anywhere (its norm check), or a zero vector under cosine."""
        bad = np.isnan(norms)
        return bad | (norms == 0) if self.cosine else bad

    def _unmeasurable_error(self, norm: float, row: int | None) -> Exception:
        if math.isnan(norm):
            return self.invalid("features contain NaN: k-means cannot measure distances", self.features_col, row)
        return self.invalid(
            "cosine distance is not defined for a zero-length feature vector", column=self.features_col, row=row
        )

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if not len(x):
            x = empty_features(self.num_features)
        if x.size != self.num_features:
            raise self.invalid(
                f"features have size {x.size}, the model expects {self.num_features}", column=self.features_col, row=0
            )
        points = x.to_dense()
        norms = np.sqrt((points * points).sum(axis=1))
        bad = self._unmeasurable(norms)
        if bad.any():
            row = first_true(bad)
            raise self._unmeasurable_error(float(norms[row]), row)
        dist = self.centers.distances(points, norms, ~x.sparse_rows)
        frame.set(self.pred_col, self.centers.closest(dist, norms))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        if vector_size(x) != self.num_features:
            raise self.invalid(
                f"features have size {vector_size(x)}, the model expects {self.num_features}",
                column=self.features_col,
            )
        point = to_dense(x)[None, :]
        norm = np.sqrt((point * point).sum(axis=1))
        if self._unmeasurable(norm)[0]:
            raise self._unmeasurable_error(float(norm[0]), None)
        dist = self.centers.distances(point, norm, np.array([not isinstance(x, SparseVector)]))
        row[self.pred_col] = self.centers.closest_row(dist[0].tolist(), float(norm[0]))


@register("org.apache.spark.ml.clustering.BisectingKMeansModel")
class BisectingKMeans(Stage):
    """Bisecting k-means: from the root, go to the closer child (Spark's cost) down to a leaf; its index."""

    def __init__(self, meta: StageMetadata, nodes: list[dict[str, Any]], measure: str) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = str(meta.get("predictionCol", "prediction"))
        position = {int(n["index"]): i for i, n in enumerate(nodes)}
        try:
            self.children = [[position[int(c)] for c in n["children"] or []] for n in nodes]
        except KeyError as exc:
            raise ModelLoadError(f"{meta.path}: tree node {exc} is missing") from None
        child_positions = {c for kids in self.children for c in kids}
        roots = [i for i in range(len(nodes)) if i not in child_positions]
        if len(roots) != 1:
            raise ModelLoadError(f"{meta.path}: the cluster tree has {len(roots)} roots")
        self.root = roots[0]
        self.leaf_index = [int(n["index"]) for n in nodes]
        centers = [decode_vector(n["center"]) for n in nodes]
        self.centers = _kmeans_centers(meta, centers, measure)
        self.num_features = int(self.centers.centers.shape[1])
        self.cosine = measure == "cosine"

    @classmethod
    def load(cls, meta: StageMetadata) -> BisectingKMeans:
        inner = read_metadata(meta.path / "data")  # the mllib model's own metadata
        measure = str(inner.raw.get("distanceMeasure") or meta.get("distanceMeasure", "euclidean"))
        rows = read_rows(meta.path / "data")
        if not rows or "children" not in rows[0]:
            raise UnsupportedStageError(
                meta.class_name, meta.uid, "only the tree layout of Spark >= 3.0 (data/data with children) is read"
            )
        return cls(meta, rows, measure)

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        return [Field(self.pred_col, "int", nullable=False)]

    def _check_norms(self, norms: np.ndarray, one_row: bool = False) -> None:
        bad = np.isnan(norms) | (norms == 0) if self.cosine else np.isnan(norms)
        if bad.any():
            row = first_true(bad)
            what = "NaN features" if math.isnan(norms[row]) else "a zero-length feature vector under cosine distance"
            raise self.invalid(
                f"bisecting k-means cannot measure {what}", column=self.features_col, row=None if one_row else row
            )

    def _size_error(self, size: int, row: int | None) -> Exception:
        return self.invalid(
            f"features have size {size}, the model expects {self.num_features}", column=self.features_col, row=row
        )

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if not len(x):
            x = empty_features(self.num_features)
        if x.size != self.num_features:
            raise self._size_error(x.size, 0)
        points = x.to_dense()
        norms = np.sqrt((points * points).sum(axis=1))
        self._check_norms(norms)
        dist = self.centers.distances(points, norms, ~x.sparse_rows)
        frame.set(self.pred_col, descend_tree(dist, self.children, self.root, self.leaf_index))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        if vector_size(x) != self.num_features:
            raise self._size_error(vector_size(x), None)
        point = to_dense(x)[None, :]
        norm = np.sqrt((point * point).sum(axis=1))
        self._check_norms(norm, one_row=True)
        dist = self.centers.distances(point, norm, np.array([not isinstance(x, SparseVector)]))
        row[self.pred_col] = descend_tree_row(dist[0].tolist(), self.children, self.root, self.leaf_index)


@register("org.apache.spark.ml.clustering.GaussianMixtureModel")
class GaussianMixture(Stage):
    """Gaussian mixture: probability = (ε + w_k pdf_k) / Σ_j (ε + w_j pdf_j); prediction = its argmax (an int)."""

    def __init__(self, meta: StageMetadata, weights: np.ndarray, gaussians: list[Gaussian]) -> None:
        super().__init__(meta)
        self.features_col = str(meta.get("featuresCol", "features"))
        self.pred_col = str(meta.get("predictionCol", "prediction") or "")
        self.prob_col = str(meta.get("probabilityCol", "probability") or "")
        self.weights, self.gaussians = weights, gaussians
        self.num_features = len(gaussians[0].mu)

    @classmethod
    def load(cls, meta: StageMetadata) -> GaussianMixture:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data holds no rows: the saved model is incomplete")
        row = rows[0]
        mus = [to_dense(decode_vector(m)) for m in row["mus"]]
        sigmas = [decode_matrix(s) for s in row["sigmas"]]
        weights = np.asarray(row["weights"], dtype=np.float64)
        if not (len(mus) == len(sigmas) == len(weights) > 0):
            raise ModelLoadError(f"{meta.path}: {len(weights)} weights, {len(mus)} means, {len(sigmas)} covariances")
        return cls(meta, weights, [Gaussian(m, s) for m, s in zip(mus, sigmas, strict=True)])

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        cols = [(self.pred_col, "int"), (self.prob_col, "vector")]
        return [Field(name, kind, nullable=False) for name, kind in cols if name]

    def _probabilities(self, points: np.ndarray) -> np.ndarray:
        return probabilities(points, self.weights, self.gaussians)

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        if not len(x):
            x = empty_features(self.num_features)
        if x.size != self.num_features:
            raise self.invalid(
                f"features have size {x.size}, the model expects {self.num_features}", column=self.features_col, row=0
            )
        prob = self._probabilities(x.to_dense())
        if self.pred_col:
            frame.set(self.pred_col, cm.argmax(prob).astype(np.int64))
        if self.prob_col:
            frame.set(self.prob_col, VectorColumn.from_dense(prob))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = row_vector(self, row, self.features_col)
        if vector_size(x) != self.num_features:
            raise self.invalid(
                f"features have size {vector_size(x)}, the model expects {self.num_features}", column=self.features_col
            )
        prob = self._probabilities(to_dense(x)[None, :])[0]
        if self.pred_col:
            row[self.pred_col] = int(cm.argmax_row(prob.tolist()))
        if self.prob_col:
            row[self.prob_col] = prob
