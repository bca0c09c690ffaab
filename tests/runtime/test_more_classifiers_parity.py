"""Parity of OneVsRest, MultilayerPerceptron and factorization machines with Spark.

One small shared data set (3 classes, 4 features, dense and sparse rows); one fit per stage.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from .model_parity import assert_parity_both_paths

pytestmark = pytest.mark.parity


def _rows(n: int, seed: int) -> list[tuple[Any, ...]]:
    from pyspark.ml.linalg import Vectors

    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = i % 3
        x = [rng.gauss(label, 1.0), rng.gauss(-label, 1.0), rng.uniform(-1, 1), 0.0 if i % 4 else rng.gauss(0, 2)]
        nz = [j for j, v in enumerate(x) if v != 0.0]
        vec = Vectors.sparse(4, nz, [x[j] for j in nz]) if i % 2 else Vectors.dense(x)
        out.append((float(label), float(label % 2), vec))
    return out


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    """(train, score) DataFrames with a 3-class label, a binary label and 4 features."""
    train = spark.createDataFrame(_rows(36, 1), ["label", "binary", "features"])
    score = spark.createDataFrame(_rows(12, 2), ["label", "binary", "features"]).drop("label", "binary")
    return train, score


def test_one_vs_rest(data, tmp_path):
    from pyspark.ml.classification import LogisticRegression, OneVsRest

    train, score = data
    # One base classifier keeps the fit cheap (three binary fits); the wiring reads any Classifier's raw.
    model = OneVsRest(classifier=LogisticRegression(maxIter=10)).fit(train)
    assert_parity_both_paths(model, score, tmp_path)


def test_multilayer_perceptron(data, tmp_path):
    from pyspark.ml.classification import MultilayerPerceptronClassifier

    train, score = data
    model = MultilayerPerceptronClassifier(layers=[4, 5, 3, 3], maxIter=30, seed=7).fit(train)
    assert_parity_both_paths(model, score, tmp_path)


def test_fm_classifier(data, tmp_path):
    from pyspark.ml.classification import FMClassifier

    train, score = data
    model = FMClassifier(labelCol="binary", factorSize=3, maxIter=20, seed=3).fit(train)
    assert_parity_both_paths(model, score, tmp_path)


def test_fm_regressor(data, tmp_path):
    from pyspark.ml.regression import FMRegressor

    train, score = data
    model = FMRegressor(factorSize=2, maxIter=20, seed=3).fit(train)
    assert_parity_both_paths(model, score, tmp_path)
