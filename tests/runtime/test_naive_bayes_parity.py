"""Parity of NaiveBayesModel for all four model types, and Spark's input checks."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sparkml_runtime import InvalidInputError, load_pipeline

from .model_parity import assert_parity_both_paths

pytestmark = pytest.mark.parity


def _counts(rng: random.Random, label: int) -> list[float]:
    """Word-count-like features whose distribution depends on the label."""
    return [float(rng.randint(0, 3 + 2 * ((label + j) % 3 == 0))) for j in range(5)]


def _training(spark, model_type: str):  # type: ignore[no-untyped-def]
    from pyspark.ml.linalg import Vectors

    rng = random.Random(11)
    rows = []
    for i in range(90):
        label = i % 3
        if model_type == "bernoulli":
            x = [float(v > 1) for v in _counts(rng, label)]
        elif model_type == "gaussian":
            x = [rng.gauss(label * 0.8 + j * 0.1, 1.0 + 0.2 * j) for j in range(5)]
        else:
            x = _counts(rng, label)
        rows.append((float(label), Vectors.dense(x)))
    return spark.createDataFrame(rows, ["label", "features"])


def _test_vectors(model_type: str) -> list[Any]:
    from pyspark.ml.linalg import Vectors

    rng = random.Random(12)
    out: list[Any] = []
    for i in range(14):
        if model_type == "bernoulli":
            v = [float(rng.random() < 0.4) for _ in range(5)]
        elif model_type == "gaussian":
            v = [rng.gauss(0.8, 1.5) for _ in range(5)]
        else:
            v = [float(rng.randint(0, 6)) for _ in range(5)]
        nz = [j for j, x in enumerate(v) if x != 0]
        out.append(Vectors.sparse(5, nz, [v[j] for j in nz]) if i % 2 else Vectors.dense(v))
    out.append(Vectors.sparse(5, [], []))
    if model_type == "gaussian":
        out += [Vectors.dense([40.0, -40.0, 0.0, 0.0, 1e3]), Vectors.dense([float("nan"), 1.0, 1.0, 1.0, 1.0])]
    elif model_type != "bernoulli":
        out.append(Vectors.dense([200.0, 0.0, 0.0, 0.0, 300.0]))  # huge log-likelihood gaps
    return out


@pytest.mark.parametrize("model_type", ["multinomial", "complement", "bernoulli", "gaussian"])
def test_naive_bayes(spark, tmp_path, model_type):
    from pyspark.ml.classification import NaiveBayes

    model = NaiveBayes(modelType=model_type, smoothing=0.5).fit(_training(spark, model_type))
    df = spark.createDataFrame([(i, v) for i, v in enumerate(_test_vectors(model_type))], ["id", "features"])
    assert_parity_both_paths(model, df, tmp_path)
    model.setThresholds([0.2, 0.0, 0.5]).setRawPredictionCol("")
    assert_parity_both_paths(model, df, tmp_path)


@pytest.mark.parametrize(
    "model_type,bad",
    [("bernoulli", [0.0, 2.0, 1.0, 0.0, 0.0]), ("multinomial", [1.0, -1.0, 0.0, 0.0, 0.0])],
)
def test_values_spark_rejects_are_errors(spark, tmp_path, model_type, bad):
    from pyspark.ml.classification import NaiveBayes
    from pyspark.ml.linalg import Vectors

    model = NaiveBayes(modelType=model_type).fit(_training(spark, model_type))
    df = spark.createDataFrame([(0, Vectors.dense(bad))], ["id", "features"])
    with pytest.raises(Exception, match="requires"):  # Spark fails the job
        model.transform(df).collect()
    model.write().overwrite().save(str(tmp_path / "nb"))
    pipeline = load_pipeline(tmp_path / "nb")
    good = {"features": [0.0] * 5}
    with pytest.raises(InvalidInputError, match="requires") as row_error:
        pipeline.transform_rows([good, {"features": bad}])
    assert row_error.value.row == 1 and row_error.value.column == "features"
    with pytest.raises(InvalidInputError, match="requires") as batch_error:
        pipeline.transform_rows([good] * 9 + [{"features": {"size": 5, "indices": [1], "values": [bad[1]]}}])
    assert batch_error.value.row == 9
