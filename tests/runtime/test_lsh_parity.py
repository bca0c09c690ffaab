"""Parity of MinHashLSHModel and BucketedRandomProjectionLSHModel with Spark (the hash column)."""

from __future__ import annotations

import random

import pytest

from .model_parity import assert_parity_both_paths

pytestmark = pytest.mark.parity


def _vectors(n: int, size: int, binary: bool):  # type: ignore[no-untyped-def]
    from pyspark.ml.linalg import Vectors

    rng = random.Random(13)
    out = []
    for i in range(n):
        x = [float(rng.random() < 0.4) if binary else rng.uniform(-5, 5) * (rng.random() < 0.7) for _ in range(size)]
        x[i % size] = 1.0  # never all zero
        nz = [j for j, v in enumerate(x) if v != 0.0]
        out.append((Vectors.sparse(size, nz, [x[j] for j in nz]) if i % 2 else Vectors.dense(x),))
    return out


def test_minhash_lsh(spark, tmp_path):
    from pyspark.ml.feature import MinHashLSH

    df = spark.createDataFrame(_vectors(12, 30, True), ["v"])
    model = MinHashLSH(inputCol="v", outputCol="hashes", numHashTables=4, seed=5).fit(df)
    assert_parity_both_paths(model, df, tmp_path)


def test_bucketed_random_projection_lsh(spark, tmp_path):
    from pyspark.ml.feature import BucketedRandomProjectionLSH

    df = spark.createDataFrame(_vectors(12, 6, False), ["v"])
    model = BucketedRandomProjectionLSH(inputCol="v", outputCol="hashes", bucketLength=1.5, numHashTables=3, seed=5)
    assert_parity_both_paths(model.fit(df), df, tmp_path)
