"""Parity of linear models: logistic regression (binary, multinomial), linear SVM, linear
regression and generalized linear regression (several families and links, offset, link
prediction), on dense and sparse vectors, extreme margins and NaN."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from .model_parity import assert_parity_both_paths

pytestmark = pytest.mark.parity

NAN = float("nan")


def _vectors(rng: random.Random, n: int, size: int) -> list[Any]:
    """Test vectors: ordinary ones (some sparse), extremes that overflow exp, zeros and NaN."""
    from pyspark.ml.linalg import Vectors

    out: list[Any] = []
    for i in range(n):
        v = [round(rng.uniform(-2, 2), 3) if (i + j) % 3 else 0.0 for j in range(size)]
        if i % 2:
            nz = [j for j, x in enumerate(v) if x != 0]
            out.append(Vectors.sparse(size, nz, [v[j] for j in nz]))
        else:
            out.append(Vectors.dense(v))
    out.append(Vectors.dense([1e4] + [0.0] * (size - 1)))
    out.append(Vectors.dense([-1e4] + [0.0] * (size - 1)))
    out.append(Vectors.sparse(size, [size - 1], [1e5]))
    out.append(Vectors.sparse(size, [], []))
    out.append(Vectors.dense([NAN] + [1.0] * (size - 1)))
    return out


def _df(spark, vectors: list[Any]):  # type: ignore[no-untyped-def]
    return spark.createDataFrame([(i, v) for i, v in enumerate(vectors)], ["id", "features"])


def _classification_data(spark, classes: int):  # type: ignore[no-untyped-def]
    from pyspark.ml.linalg import Vectors

    rng = random.Random(classes)
    rows = []
    for _ in range(120):
        x = [rng.gauss(0, 1) for _ in range(4)]
        score = x[0] - 0.7 * x[1] + 0.3 * x[2] + rng.gauss(0, 0.5)
        label = float(min(classes - 1, max(0, int((score + 1.5) / 3 * classes))))
        rows.append((label, Vectors.dense(x)))
    return spark.createDataFrame(rows, ["label", "features"])


# --- logistic regression ------------------------------------------------------------------------
def test_binary_logistic_regression_threshold_rules(spark, tmp_path):
    from pyspark.ml.classification import LogisticRegression

    model = LogisticRegression(maxIter=20, regParam=0.01).fit(_classification_data(spark, 2))
    assert model.numClasses == 2 and not model.interceptVector.size > 1
    df = _df(spark, _vectors(random.Random(1), 12, 4))
    assert_parity_both_paths(model, df, tmp_path)
    model.setThreshold(0.3)
    assert_parity_both_paths(model, df, tmp_path)
    # thresholds with a 0 entry: (t0, 0) means threshold 0 (always 1); (0, t1) threshold 1
    model.clear(model.threshold)  # a model's setThresholds leaves threshold set in pyspark
    model.setThresholds([0.4, 0.0])
    assert_parity_both_paths(model, df, tmp_path)
    model.setThresholds([0.0, 1.0])
    assert_parity_both_paths(model, df, tmp_path)
    # without rawPrediction the prediction comes from probability, without both from features
    model.setThresholds([0.6, 0.4]).setRawPredictionCol("")
    assert_parity_both_paths(model, df, tmp_path)
    model.clear(model.thresholds)
    model.setThreshold(0.7).setProbabilityCol("")
    assert_parity_both_paths(model, df, tmp_path)


def test_multinomial_logistic_regression_thresholds(spark, tmp_path):
    from pyspark.ml.classification import LogisticRegression

    model = LogisticRegression(maxIter=30, regParam=0.01).fit(_classification_data(spark, 3))
    assert model.numClasses == 3
    df = _df(spark, _vectors(random.Random(2), 12, 4))
    assert_parity_both_paths(model, df, tmp_path)
    model.setThresholds([0.3, 0.0, 0.5])  # the class with threshold 0 wins whenever p > 0
    assert_parity_both_paths(model, df, tmp_path)
    model.setThresholds([0.5, 0.2, 0.9]).setRawPredictionCol("")
    assert_parity_both_paths(model, df, tmp_path)
    model.setProbabilityCol("")
    assert_parity_both_paths(model, df, tmp_path)


def test_multinomial_family_on_binary_data(spark, tmp_path):
    from pyspark.ml.classification import LogisticRegression

    model = LogisticRegression(maxIter=20, family="multinomial").fit(_classification_data(spark, 2))
    assert model.numClasses == 2 and model.interceptVector.size == 2  # softmax over two margins
    df = _df(spark, _vectors(random.Random(3), 12, 4))
    assert_parity_both_paths(model, df, tmp_path)
    model.setThreshold(0.9)  # a multinomial model ignores the binary threshold
    assert_parity_both_paths(model, df, tmp_path)
    model.clear(model.threshold)
    model.setThresholds([0.8, 0.2])
    assert_parity_both_paths(model, df, tmp_path)


def test_inconsistent_threshold_and_thresholds_fail_like_spark(spark, tmp_path):
    from pyspark.ml.classification import LogisticRegression, LogisticRegressionModel
    from sparkml_runtime import ModelLoadError, load_pipeline

    model = LogisticRegression(maxIter=5).fit(_classification_data(spark, 2))
    model.clear(model.threshold)
    model.setThresholds([0.5, 0.5])
    path = tmp_path / "m"
    model.write().overwrite().save(str(path))
    # Spark will not save both params when they disagree; edit the metadata as a hand would.
    for crc in path.rglob("*.crc"):
        crc.unlink()
    meta_file = next((path / "metadata").glob("part-*"))
    meta = json.loads(meta_file.read_text())
    meta["paramMap"]["threshold"] = 0.3
    meta_file.write_text(json.dumps(meta) + "\n")
    with pytest.raises(Exception, match="inconsistent"):
        LogisticRegressionModel.load(str(path))
    with pytest.raises(ModelLoadError, match="disagree"):
        load_pipeline(path)


# --- linear SVM and linear regression -------------------------------------------------------------
def test_linear_svc_threshold_on_raw_margin(spark, tmp_path):
    from pyspark.ml.classification import LinearSVC

    model = LinearSVC(maxIter=20, regParam=0.01).fit(_classification_data(spark, 2))
    df = _df(spark, _vectors(random.Random(4), 12, 4))
    assert_parity_both_paths(model, df, tmp_path)
    model.setThreshold(0.5)
    assert_parity_both_paths(model, df, tmp_path)
    model.setRawPredictionCol("")
    assert_parity_both_paths(model, df, tmp_path)


def test_linear_regression(spark, tmp_path):
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import LinearRegression

    rng = random.Random(5)
    rows = []
    for _ in range(80):
        x = [rng.uniform(-1, 1) for _ in range(5)]
        rows.append((3.0 * x[0] - x[3] + 0.5 + rng.gauss(0, 0.1), Vectors.dense(x)))
    model = LinearRegression(regParam=0.01, elasticNetParam=0.3).fit(spark.createDataFrame(rows, ["label", "features"]))
    assert_parity_both_paths(model, _df(spark, _vectors(random.Random(6), 12, 5)), tmp_path)


# --- generalized linear regression ----------------------------------------------------------------
def _glr_data(spark, params: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Training rows the family/link can fit: 0/1 for binomial, any real for an identity-link
    gaussian, positive responses otherwise (log and inverse links need a positive mean)."""
    from pyspark.ml.linalg import Vectors

    family = params["family"]
    real = (family == "gaussian" and params.get("link", "identity") == "identity") or (
        family == "tweedie" and params.get("variancePower", 0.0) == 0.0 and params.get("linkPower", 1.0) == 1.0
    )
    rng = random.Random(len(family))
    rows = []
    for _ in range(100):
        x = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 1)]
        offset = rng.uniform(-0.2, 0.2)
        eta = 0.4 + 0.8 * x[0] - 0.5 * x[1] + 0.3 * x[2] + offset
        if family == "binomial":
            y = 1.0 if rng.random() < 1 / (1 + math.exp(-2 * eta)) else 0.0
        elif real:
            y = eta + rng.gauss(0, 0.2)
        else:  # positive responses for poisson, gamma, tweedie and gaussian's log/inverse links
            y = math.exp(eta) * rng.uniform(0.5, 1.5)
        rows.append((y, offset, Vectors.dense(x)))
    return spark.createDataFrame(rows, ["label", "offset", "features"])


GLR_CASES = [
    pytest.param({"family": "gaussian", "offsetCol": "offset", "linkPredictionCol": "eta"}, id="gaussian-offset"),
    pytest.param({"family": "binomial", "link": "probit"}, id="binomial-probit"),
    pytest.param({"family": "binomial", "link": "cloglog", "linkPredictionCol": "eta"}, id="binomial-cloglog"),
    pytest.param({"family": "poisson", "offsetCol": "offset"}, id="poisson-log-offset"),
    pytest.param({"family": "poisson", "link": "sqrt"}, id="poisson-sqrt"),
    pytest.param({"family": "gamma", "link": "log"}, id="gamma-log"),
    pytest.param({"family": "tweedie", "variancePower": 1.5}, id="tweedie-default-power-link"),
    pytest.param({"family": "tweedie", "variancePower": 1.2, "linkPower": 0.0}, id="tweedie-log"),
]

# Every other (family, link) pair Spark's supportedFamilyAndLinkPairs allows, and tweedie's
# named link powers (0 log, 1 identity, -1 inverse, 0.5 sqrt), a plain power, and the variance
# powers Spark maps to named families (0 gaussian, 1 poisson, 2 gamma). Half the cases also
# ask for linkPredictionCol, which Spark computes first and feeds to the prediction.
GLR_ALL_PAIRS = [
    pytest.param({"family": "gaussian", "linkPredictionCol": "eta"}, id="gaussian-identity"),
    pytest.param({"family": "gaussian", "link": "log"}, id="gaussian-log"),
    pytest.param({"family": "gaussian", "link": "inverse", "linkPredictionCol": "eta"}, id="gaussian-inverse"),
    pytest.param({"family": "binomial", "linkPredictionCol": "eta"}, id="binomial-logit"),
    pytest.param({"family": "poisson", "link": "identity", "linkPredictionCol": "eta"}, id="poisson-identity"),
    pytest.param({"family": "poisson", "link": "log"}, id="poisson-log"),
    pytest.param({"family": "gamma", "linkPredictionCol": "eta"}, id="gamma-inverse"),
    pytest.param({"family": "gamma", "link": "identity"}, id="gamma-identity"),
    pytest.param({"family": "tweedie", "variancePower": 1.5, "linkPower": 1.0}, id="tweedie-identity"),
    pytest.param(
        {"family": "tweedie", "variancePower": 1.5, "linkPower": -1.0, "linkPredictionCol": "eta"},
        id="tweedie-inverse",
    ),
    pytest.param({"family": "tweedie", "variancePower": 1.5, "linkPower": 0.5}, id="tweedie-sqrt"),
    pytest.param(
        {"family": "tweedie", "variancePower": 1.5, "linkPower": 0.3, "linkPredictionCol": "eta"},
        id="tweedie-power-0.3",
    ),
    pytest.param({"family": "tweedie", "variancePower": 3.0, "linkPower": 0.0}, id="tweedie-3-log"),
    pytest.param({"family": "tweedie", "variancePower": 0.0, "linkPredictionCol": "eta"}, id="tweedie-0-as-gaussian"),
    pytest.param({"family": "tweedie", "variancePower": 1.0}, id="tweedie-1-as-poisson"),
    pytest.param({"family": "tweedie", "variancePower": 2.0}, id="tweedie-2-as-gamma"),
    pytest.param({"family": "tweedie", "variancePower": 2.0, "linkPower": 0.0}, id="tweedie-2-log"),
]


@pytest.mark.parametrize("params", GLR_CASES + GLR_ALL_PAIRS)
def test_generalized_linear_regression(spark, tmp_path, params):
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import GeneralizedLinearRegression

    model = GeneralizedLinearRegression(maxIter=50, regParam=0.001, **params).fit(_glr_data(spark, params))
    rng = random.Random(7)
    vectors = [Vectors.dense([rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(0, 1)]) for _ in range(10)]
    vectors += [Vectors.sparse(3, [0], [2.0]), Vectors.sparse(3, [], [])]
    vectors += [Vectors.dense([800.0, 0.0, 0.0]), Vectors.dense([-800.0, 0.0, 0.0])]  # clamps of project()
    rows = [(i, v, round(rng.uniform(-0.3, 0.3), 3)) for i, v in enumerate(vectors)]
    if "offsetCol" in params:
        rows.append((len(rows), Vectors.dense([0.1, 0.2, 0.3]), None))  # a null offset gives null outputs
    df = spark.createDataFrame(rows, _glr_schema())
    assert_parity_both_paths(model, df, tmp_path)


def _glr_schema():  # type: ignore[no-untyped-def]
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    return StructType(
        [StructField("id", IntegerType()), StructField("features", VectorUDT()), StructField("offset", DoubleType())]
    )
