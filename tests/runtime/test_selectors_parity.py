"""Parity of the feature selectors (ChiSq, UnivariateFeature, VarianceThreshold) with Spark."""

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
        label = float(i % 2)
        x = [float(rng.randint(0, 3)), label * 2 + rng.randint(0, 1), 0.0, float(rng.randint(0, 1)), label]
        nz = [j for j, v in enumerate(x) if v != 0.0]
        out.append((label, Vectors.sparse(5, nz, [x[j] for j in nz]) if i % 2 else Vectors.dense(x)))
    return out


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    train = spark.createDataFrame(_rows(30, 1), ["label", "features"])
    score = spark.createDataFrame(_rows(11, 2), ["label", "features"]).drop("label")
    return train, score


def _selector(kind: str) -> Any:
    from pyspark.ml.feature import ChiSqSelector, UnivariateFeatureSelector, VarianceThresholdSelector

    if kind == "chisq":
        return ChiSqSelector(numTopFeatures=2, outputCol="selected")
    if kind == "univariate":
        selector = UnivariateFeatureSelector(outputCol="selected", selectionMode="numTopFeatures")
        return selector.setFeatureType("categorical").setLabelType("categorical").setSelectionThreshold(3)
    return VarianceThresholdSelector(varianceThreshold=0.3, outputCol="selected")


@pytest.mark.parametrize("kind", ["chisq", "univariate", "variance"])
def test_selector(data, tmp_path, kind):
    train, score = data
    model = _selector(kind).fit(train)
    assert_parity_both_paths(model, score, tmp_path)
