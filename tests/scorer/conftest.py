"""Scorer test fixtures: two versions of the tutorial pipeline, fitted and saved by real Spark.

Expected predictions always come from Spark's own ``transform`` of the same rows, computed
here at test time (``spark_outputs``), never from numbers copied from our code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.parity import spark_rows

TRAINING = [
    (0, "a b c d e spark", 1.0),
    (1, "b d", 0.0),
    (2, "spark f g h", 1.0),
    (3, "hadoop mapreduce", 0.0),
]
# v2 learns the opposite association, so replies visibly switch when it takes over.
TRAINING_V2 = [(i, text, 1.0 - label) for i, text, label in TRAINING]
TEXTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop", "", "UPPER Case MiXeD", "b d spark"]
PREDICTION_COLUMNS = ("words", "features", "rawPrediction", "probability", "prediction")


@dataclass
class TutorialModels:
    """Two fitted versions of Tokenizer → HashingTF → LogisticRegression, saved by Spark."""

    dirs: dict[int, Path]
    spark_models: dict[int, Any]
    spark: Any

    def spark_outputs(self, version: int, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Spark's own transform of ``rows`` (each with ``id`` and ``text``) with model ``version``."""
        df = self.spark.createDataFrame([(int(r["id"]), r["text"]) for r in rows], "id long, text string")
        return spark_rows(self.spark_models[version].transform(df))


@pytest.fixture(scope="session")
def tutorial_models(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> TutorialModels:
    """Fit and save both versions once per test session."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, Tokenizer

    root = tmp_path_factory.mktemp("tutorial-models")
    dirs: dict[int, Path] = {}
    models: dict[int, Any] = {}
    for version, data in ((1, TRAINING), (2, TRAINING_V2)):
        train = spark.createDataFrame(data, ["id", "text", "label"])
        tok = Tokenizer(inputCol="text", outputCol="words")
        tf = HashingTF(inputCol="words", outputCol="features")
        lr = LogisticRegression(maxIter=10, regParam=0.001)
        model = Pipeline(stages=[tok, tf, lr]).fit(train)
        path = root / f"v{version}"
        model.write().overwrite().save(str(path))
        dirs[version], models[version] = path, model
    return TutorialModels(dirs, models, spark)


def manifest(
    name: str,
    version: int,
    *,
    servable: bool = True,
    reason: str | None = None,
    sample_rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A manifest as the trainer writes it (the fields the scorer reads, plus the required ones)."""
    return {
        "name": name,
        "version": version,
        "servable": servable,
        "reason": reason,
        "input_schema": [{"name": "text", "type": "string", "nullable": False}],
        "output_schema": [{"name": "prediction", "type": "double", "nullable": False}],
        "metrics": {},
        "parity": {},
        "spark_version": "4.3.0",
        "sha256": None,
        "training_time_s": 0.0,
        "created_at": "2025-01-01T00:00:00Z",
        "job_id": f"test-{name}-{version}",
        "sample_rows": sample_rows if sample_rows is not None else [{"id": 0, "text": "spark i j k"}],
    }


def published_event(meta: Mapping[str, Any], sha256: str = "0" * 64) -> dict[str, Any]:
    """The PUBLISHED ModelEvent for ``meta`` (for RegistryState, without Kafka)."""
    return {
        "model": meta["name"],
        "version": meta["version"],
        "type": "PUBLISHED",
        "alias": None,
        "manifest_json": json.dumps({**meta, "sha256": sha256}),
        "at_ms": 0,
    }


SKIP_TRAINING = [
    (0, "a b c spark", "red", 1.0, 1.0),
    (1, "b d", "blue", 2.0, 0.0),
    (2, "spark f g", "red", 0.5, 1.0),
    (3, "hadoop mapreduce", "green", 3.0, 0.0),
    (4, "spark spark", "blue", 1.5, 1.0),
    (5, "hadoop", "green", 2.5, 0.0),
]
SKIP_SCHEMA = "id long, text string, color string, x double"


@dataclass
class SkippingModel:
    """A Spark-saved pipeline with two handleInvalid='skip' stages: an unseen colour or a null x drops the row.

    StringIndexer(color, skip) → Tokenizer(text) → HashingTF → VectorAssembler(tf, colorIdx, x; skip)
    → LogisticRegression. A text that is not a string is an error, not a skip.
    """

    path: Path
    spark_model: Any
    spark: Any

    def spark_outputs(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Spark's own transform of ``rows`` (``id``, ``text``, ``color``, ``x``); skipped rows are absent."""
        df = self.spark.createDataFrame([(r["id"], r["text"], r["color"], r["x"]) for r in rows], SKIP_SCHEMA)
        return spark_rows(self.spark_model.transform(df))


@pytest.fixture(scope="session")
def skipping_model(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> SkippingModel:
    """Fit and save the skipping pipeline once per test session."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, StringIndexer, Tokenizer, VectorAssembler

    train = spark.createDataFrame(SKIP_TRAINING, f"{SKIP_SCHEMA}, label double")
    stages = [
        StringIndexer(inputCol="color", outputCol="colorIdx", handleInvalid="skip"),
        Tokenizer(inputCol="text", outputCol="words"),
        HashingTF(inputCol="words", outputCol="tf", numFeatures=32),
        VectorAssembler(inputCols=["tf", "colorIdx", "x"], outputCol="features", handleInvalid="skip"),
        LogisticRegression(maxIter=10, regParam=0.01),
    ]
    model = Pipeline(stages=stages).fit(train)
    path = tmp_path_factory.mktemp("skipping-model") / "model"
    model.write().overwrite().save(str(path))
    return SkippingModel(path, model, spark)
