"""Parity of KMeansModel with euclidean and cosine distance, including exact ties."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sparkml_runtime import InvalidInputError, load_pipeline

from .model_parity import assert_parity_both_paths

pytestmark = pytest.mark.parity

CENTERS = [(0.0, 0.0, 1.0), (2.0, 0.0, 1.0), (0.0, 2.0, 1.0)]
OFFSETS = [(0.5, 0.0, 0.0), (-0.5, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, -0.5, 0.0)]


def _training(spark):  # type: ignore[no-untyped-def]
    """Symmetric clusters, so the fitted centers are exactly CENTERS and ties are exact."""
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([c + o for c, o in zip(center, off, strict=True)]),) for center in CENTERS for off in OFFSETS
    ]
    return spark.createDataFrame(rows * 3, ["features"])


def _points(centers: list[Any]) -> list[Any]:
    from pyspark.ml.linalg import Vectors

    rng = random.Random(21)
    pts: list[list[float]] = [[rng.uniform(-1, 3), rng.uniform(-1, 3), rng.uniform(0, 2)] for _ in range(10)]
    pts += [list(c) for c in centers]  # on a center
    pts += [[1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]  # equidistant from two or three centers
    pts += [[1e150, 0.0, 0.0], [0.0, 0.0, 3.0], [-1.0, -1.0, -1.0]]
    out = []
    for i, p in enumerate(pts):
        nz = [j for j, x in enumerate(p) if x != 0]
        out.append(Vectors.sparse(3, nz, [p[j] for j in nz]) if i % 3 == 1 else Vectors.dense(p))
    # the tie points again, sparse: Spark measures sparse points through their norms
    out += [Vectors.sparse(3, [0, 2], [1.0, 1.0]), Vectors.sparse(3, [0, 1, 2], [1.0, 1.0, 1.0])]
    return out


@pytest.mark.parametrize("measure", ["euclidean", "cosine"])
def test_kmeans(spark, tmp_path, measure):
    from pyspark.ml.clustering import KMeans

    model = KMeans(k=3, seed=1, distanceMeasure=measure, maxIter=30).fit(_training(spark))
    if measure == "euclidean":
        assert sorted(tuple(c) for c in model.clusterCenters()) == sorted(CENTERS)
    points = _points([list(c) for c in model.clusterCenters()])
    if measure == "cosine":
        points = [p for p in points if p.norm(2) > 0]
    df = spark.createDataFrame([(i, p) for i, p in enumerate(points)], ["id", "features"])
    assert_parity_both_paths(model, df, tmp_path)


@pytest.mark.parametrize(
    "measure,bad,spark_says,we_say",
    [
        ("cosine", [0.0, 0.0, 0.0], "zero-length", "zero-length"),
        ("euclidean", [float("nan"), 1.0, 0.0], "norm2=NaN", "NaN"),
    ],
)
def test_unmeasurable_points_are_errors_as_in_spark(spark, tmp_path, measure, bad, spark_says, we_say):
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.linalg import Vectors

    model = KMeans(k=2, seed=1, distanceMeasure=measure).fit(_training(spark))
    df = spark.createDataFrame([(0, Vectors.dense(bad))], ["id", "features"])
    with pytest.raises(Exception, match=spark_says):
        model.transform(df).collect()
    model.write().overwrite().save(str(tmp_path / "km"))
    pipeline = load_pipeline(tmp_path / "km")
    with pytest.raises(InvalidInputError, match=we_say):
        pipeline.transform_rows([{"features": bad}])
    with pytest.raises(InvalidInputError, match=we_say) as batch_error:
        pipeline.transform_rows([{"features": [1.0, 0.0, 0.0]}] * 9 + [{"features": bad}])
    assert batch_error.value.row == 9


@pytest.mark.parametrize("measure", ["euclidean", "cosine"])
def test_bisecting_kmeans(spark, tmp_path, measure):
    from pyspark.ml.clustering import BisectingKMeans

    model = BisectingKMeans(k=4, seed=3, distanceMeasure=measure, maxIter=10).fit(_training(spark))
    points = [p for p in _points(list(CENTERS)) if p.norm(2) > 0 and p.norm(2) < 1e100]
    df = spark.createDataFrame([(i, p) for i, p in enumerate(points)], ["id", "features"])
    assert_parity_both_paths(model, df, tmp_path)


def test_gaussian_mixture(spark, tmp_path):
    from pyspark.ml.clustering import GaussianMixture
    from pyspark.ml.linalg import Vectors

    rng = random.Random(4)
    train = [
        (Vectors.dense([rng.gauss(c, 0.6), rng.gauss(-c, 0.4), rng.gauss(0, 1)]),) for c in (0, 3) for _ in range(15)
    ]
    model = GaussianMixture(k=2, seed=1, maxIter=20).fit(spark.createDataFrame(train, ["features"]))
    points = _points(list(CENTERS))[:-5] + [Vectors.dense([40.0, -40.0, 9.0])]  # far from both: pdfs underflow
    df = spark.createDataFrame([(i, p) for i, p in enumerate(points)], ["id", "features"])
    assert_parity_both_paths(model, df, tmp_path)
