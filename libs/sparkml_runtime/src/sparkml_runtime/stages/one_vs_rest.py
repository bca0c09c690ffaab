"""OneVsRestModel: one binary classifier per class; the class whose model is surest wins.

Spark's ``OneVsRestModel.transform`` collects ``rawPrediction(1)`` of each binary model
into a dense vector (rawPrediction) and predicts its ``argmax``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelLoadError, UnsupportedStageError
from ..frame import Field, Frame
from ..io.metadata import StageMetadata, read_metadata
from ..math import classification as cm
from ..math.one_vs_rest import positive_scores, positive_scores_row
from ..vectors import VectorColumn
from .base import REGISTRY, Stage, register, row_vector
from .classification import Classifier, output_col


@register("org.apache.spark.ml.classification.OneVsRestModel")
class OneVsRestModel(Stage):
    """One-vs-rest: rawPrediction = [raw_k(x)[1] for each class model k]; prediction = argmax."""

    def __init__(self, meta: StageMetadata, models: list[Classifier]) -> None:
        super().__init__(meta)
        self.models = models
        self.features_col = str(meta.get("featuresCol", "features"))
        self.raw_col = output_col(meta, "rawPredictionCol", "rawPrediction")
        self.pred_col = output_col(meta, "predictionCol", "prediction")

    @classmethod
    def load(cls, meta: StageMetadata) -> Stage:
        count = int(meta.raw.get("numClasses", 0))
        if count <= 0:
            raise ModelLoadError(f"{meta.path}: OneVsRestModel metadata has no numClasses")
        models: list[Classifier] = []
        for i in range(count):
            sub = read_metadata(meta.path / f"model_{i}")
            impl = REGISTRY.get(sub.class_name)
            if impl is None:
                raise UnsupportedStageError(
                    meta.class_name, meta.uid, f"its class model {sub.class_name} is not supported"
                )
            model = impl.load(sub)
            if not isinstance(model, Classifier):
                raise UnsupportedStageError(meta.class_name, meta.uid, f"{sub.class_name} is not a classifier")
            models.append(model)
        return cls(meta, models)

    def input_fields(self) -> list[Field]:
        return [Field(self.features_col, "vector", nullable=False)]

    def output_fields(self) -> list[Field]:
        cols = [(self.raw_col, "vector"), (self.pred_col, "double")]
        return [Field(name, kind, nullable=False) for name, kind in cols if name]

    def transform_batch(self, frame: Frame) -> None:
        x = frame.vectors(self.features_col, self.name)
        n = len(x)
        size = self.models[0].num_features
        if n and size is not None and x.size != size:
            raise self.invalid(
                f"features have size {x.size}, the model expects {size}", column=self.features_col, row=0
            )
        scores = positive_scores([m.raw_batch(x) for m in self.models] if n else [], n, len(self.models))
        if self.raw_col:
            frame.set(self.raw_col, VectorColumn.from_dense(scores))
        if self.pred_col:
            frame.set(self.pred_col, cm.argmax(scores))

    def transform_row(self, row: dict[str, Any]) -> None:
        x = self.models[0].features_row({self.models[0].features_col: row_vector(self, row, self.features_col)})
        scores = positive_scores_row([m.raw_row(x) for m in self.models])
        if self.raw_col:
            row[self.raw_col] = np.array(scores)
        if self.pred_col:
            row[self.pred_col] = cm.argmax_row(scores)
