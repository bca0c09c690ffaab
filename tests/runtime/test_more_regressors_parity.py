"""Parity of IsotonicRegression and AFTSurvivalRegression with Spark, one small fit each."""

from __future__ import annotations

import random

import pytest

from .model_parity import assert_parity_both_paths

pytestmark = pytest.mark.parity


@pytest.mark.parametrize("column", ["double", "vector"])
def test_isotonic_regression(spark, tmp_path, column):
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import IsotonicRegression

    rng = random.Random(5)
    xs = [float(i) / 2 for i in range(20)]
    train = [(x + rng.uniform(-1, 1) * 0.3 * (x % 3), x, Vectors.dense([rng.uniform(0, 1), x])) for x in xs]
    df = spark.createDataFrame(train, ["label", "x", "v"])
    # boundaries, values between them, below, above, NaN
    probes = [0.0, 0.25, 3.5, 3.7, -5.0, 42.0, float("nan"), 9.5, 1.1, 6.25]
    if column == "double":
        model = IsotonicRegression(featuresCol="x").fit(df)
        score = spark.createDataFrame([(p,) for p in probes], ["x"])
    else:
        model = IsotonicRegression(featuresCol="v", featureIndex=1, isotonic=False).fit(df)
        score = spark.createDataFrame(
            [(Vectors.dense([0.5, p]) if i % 2 else Vectors.sparse(2, [1], [p]),) for i, p in enumerate(probes)], ["v"]
        )
    assert_parity_both_paths(model, score, tmp_path)


def test_aft_survival_regression_with_quantiles(spark, tmp_path):
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import AFTSurvivalRegression

    rng = random.Random(8)
    rows = []
    for i in range(30):
        x = [rng.uniform(0, 2), rng.uniform(-1, 1), 0.0 if i % 3 else 1.0]
        nz = [j for j, v in enumerate(x) if v != 0.0]
        vec = Vectors.sparse(3, nz, [x[j] for j in nz]) if i % 2 else Vectors.dense(x)
        rows.append((vec, rng.expovariate(1.0 / (1.0 + x[0])), float(i % 4 != 0)))
    df = spark.createDataFrame(rows, ["features", "label", "censor"])
    model = AFTSurvivalRegression(quantilesCol="quantiles", quantileProbabilities=[0.1, 0.5, 0.9], maxIter=30).fit(df)
    assert_parity_both_paths(model, df.drop("label", "censor").limit(12), tmp_path)
