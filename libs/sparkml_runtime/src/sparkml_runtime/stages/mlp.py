"""MultilayerPerceptronClassificationModel: sigmoid hidden layers, softmax on top."""

from __future__ import annotations

import numpy as np

from ..errors import ModelLoadError
from ..io.data import decode_vector, read_rows
from ..io.metadata import StageMetadata
from ..math import classification as cm
from ..math.mlp import raw_scores, unpack_layers
from ..vectors import SparseVector, Vector, VectorColumn
from .base import register
from .classification import ProbabilisticClassifier


@register("org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel")
class MultilayerPerceptron(ProbabilisticClassifier):
    """MLP: raw = the last affine layer (hidden layers sigmoid); probability = softmax(raw)."""

    def __init__(self, meta: StageMetadata, layers: list[int], weights: np.ndarray) -> None:
        super().__init__(meta, layers[-1], layers[0])
        try:
            self.layers = unpack_layers(weights, layers)
        except ValueError as exc:
            raise ModelLoadError(f"{meta.path}: {exc}") from None

    @classmethod
    def load(cls, meta: StageMetadata) -> MultilayerPerceptron:
        rows = read_rows(meta.path)
        if not rows:
            raise ModelLoadError(f"{meta.path}/data holds no rows: the saved model is incomplete")
        layers = rows[0].get("layers") or meta.get("layers")  # Spark < 3.0 saved them in data
        if not layers:
            raise ModelLoadError(f"{meta.path}: no layers in params or data")
        weights = decode_vector(rows[0]["weights"])
        dense = weights.to_dense() if isinstance(weights, SparseVector) else weights
        return cls(meta, [int(n) for n in layers], dense)

    def raw_batch(self, x: VectorColumn) -> np.ndarray:
        return raw_scores(x.to_dense(), self.layers)

    def raw_row(self, x: Vector) -> list[float]:
        dense = x.to_dense() if isinstance(x, SparseVector) else np.asarray(x, dtype=np.float64)
        return [float(v) for v in raw_scores(dense[None, :], self.layers)[0]]

    def raw_to_probability_batch(self, raw: np.ndarray) -> np.ndarray:
        return cm.softmax(raw)

    def raw_to_probability_row(self, raw: list[float]) -> list[float]:
        return cm.softmax_row(raw)
