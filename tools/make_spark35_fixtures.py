"""Write models saved by Spark 3.5 (and Spark 3.5's own outputs) as test fixtures.

Spark 3.5 and 4.x save the same model classes with different file names and data layouts,
and the runtime must load both. This script fits small pipelines covering every first-wave
stage family under Spark 3.5 and writes, for each, ``tests/fixtures/spark35/<name>/``:

- ``model/``        the fitted PipelineModel as Spark 3.5 saved it (``.crc`` files removed;
                    Spark does not need them to load a model);
- ``expected.json`` the input rows (JSON-ready: vectors as lists or
                    ``{"size", "indices", "values"}``) and Spark 3.5's transform output rows,
                    converted exactly as ``tests/runtime/parity.py`` ``spark_value`` does.

``tests/runtime/test_spark35_fixtures.py`` loads each fixture with ``sparkml_runtime`` and
compares. The repository's own virtualenv has pyspark 4, so run this with a separate one,
outside the repository (Spark 3.5 runs on Java 17; pyspark 3.5 needs numpy < 2):

    python3.11 -m venv /tmp/venv-spark35
    /tmp/venv-spark35/bin/pip install "pyspark==3.5.*" "numpy<2"
    /tmp/venv-spark35/bin/python tools/make_spark35_fixtures.py            # every fixture
    /tmp/venv-spark35/bin/python tools/make_spark35_fixtures.py tutorial   # just some

Fits are seeded, so re-running gives the same models up to Spark's own nondeterminism.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.linalg import DenseVector, SparseVector, Vectors
from pyspark.sql import DataFrame, SparkSession

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "spark35"
INF = float("inf")

# name -> builder(spark) returning (fitted model, test DataFrame, one-line description)
Builder = Callable[[SparkSession], tuple[PipelineModel, DataFrame, str]]
FIXTURES: dict[str, Builder] = {}


def fixture(name: str) -> Callable[[Builder], Builder]:
    """Register a fixture builder under ``name`` (its directory name)."""

    def wrap(fn: Builder) -> Builder:
        FIXTURES[name] = fn
        return fn

    return wrap


def spark_value(v: Any) -> Any:
    """A Spark Row value in the runtime's JSON-ready form (same as tests/runtime/parity.py)."""
    if isinstance(v, DenseVector):
        return [float(x) for x in v.toArray()]
    if isinstance(v, SparseVector):
        return {"size": int(v.size), "indices": [int(i) for i in v.indices], "values": [float(x) for x in v.values]}
    if isinstance(v, list):
        return [spark_value(x) for x in v]
    return v


def spark_rows(df: DataFrame) -> list[dict[str, Any]]:
    """Collect a DataFrame as JSON-ready dicts."""
    return [{k: spark_value(v) for k, v in r.asDict().items()} for r in df.collect()]


# --- data ------------------------------------------------------------------------------------
TUTORIAL_TRAINING = [
    (0, "a b c d e spark", 1.0),
    (1, "b d", 0.0),
    (2, "spark f g h", 1.0),
    (3, "hadoop mapreduce", 0.0),
]
EDGE_TEXTS = [
    "spark i j k",
    "l m n",
    "spark hadoop spark",
    "apache hadoop",
    "",
    " ",
    "  leading",
    "trailing  ",
    "tabs\tand\nnewlines\r\n",
    "UPPER Case MiXeD",
    "naïve café 東京 Ünïcödé",
    "multiple   spaces\t\tinside",
    "\x0bvertical\x0cfeed",
    "non\u00a0breaking\u2003space",
]
CORPUS = [
    "Spark is a unified analytics engine for large-scale data processing",
    "It provides high-level APIs in Java, Scala, Python and R",
    "and an optimized engine that supports general execution graphs",
    "It also supports a rich set of higher-level tools including Spark SQL",
    "MLlib for machine learning, GraphX for graph processing",
    "and Structured Streaming for incremental computation and stream processing",
    "the quick brown fox jumps over the lazy dog",
    "the lazy dog sleeps; the quick fox runs",
    "data data data processing engine engine",
    "a an the of to in is it",
]


def tabular_rows(n: int, seed: int, *, unseen: bool = False) -> list[tuple[Any, ...]]:
    """(color, size, x1, x2, x3, label): 2 categorical + 3 numeric columns, binary label."""
    rng = random.Random(seed)
    colors = ["red", "green", "blue", "red", "green", "purple"]
    sizes = ["S", "M", "L", "M"]
    rows = []
    for i in range(n):
        color, size = rng.choice(colors), rng.choice(sizes)
        if unseen and i % 7 == 3:
            color = "orange"
        if unseen and i % 5 == 4:
            size = "XL"
        x1, x2, x3 = rng.gauss(0, 1), rng.uniform(-5, 5), float(rng.randint(0, 20))
        score = x1 + 0.3 * x2 + (1.5 if color == "red" else 0.0) - (1.0 if size == "S" else 0.0)
        rows.append((color, size, x1, x2, x3, 1.0 if score + rng.gauss(0, 0.5) > 0.5 else 0.0))
    return rows


def tree_rows(n: int, seed: int, *, edge: bool = False) -> list[tuple[Any, ...]]:
    """(cat, x1, x2, x3, label3, label2, target): one 4-level category and 3 numbers."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        cat = rng.choice(["a", "b", "c", "d"])
        x1, x2, x3 = rng.uniform(-3, 3), rng.gauss(0, 2), float(rng.randint(0, 9))
        if edge and i % 6 == 2:
            x1 = math.nan  # NaN goes right at continuous splits
        target = 2.0 * x1 - x2 + (3.0 if cat in ("b", "d") else 0.0) + rng.gauss(0, 0.3)
        label3 = 0.0 if target < -1 else 1.0 if target < 2 else 2.0
        rows.append((cat, x1, x2, x3, label3, 1.0 if target > 0.5 else 0.0, target))
    return rows


def linear_rows(n: int, seed: int) -> list[tuple[Any, ...]]:
    """(features, label, count, klass): dense 3-d features, continuous/count/3-class labels."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1), rng.uniform(-2, 2), rng.gauss(1, 0.5)]
        y = 1.5 * x[0] - 0.7 * x[1] + 0.3 * x[2] + rng.gauss(0, 0.2)
        count = float(min(30, int(math.exp(0.4 * x[0] + 0.2 * x[1] + 0.5) + rng.random() * 2)))
        klass = 0.0 if y < -0.8 else 1.0 if y < 0.8 else 2.0
        rows.append((Vectors.dense(x), y, count, klass, 1.0 if y > 0 else 0.0))
    return rows


def count_rows(n: int, seed: int, *, binary: bool = False) -> list[tuple[Any, ...]]:
    """(features, label): 5-d non-negative counts (or 0/1), some rows sparse, 3 classes."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = float(i % 3)
        weights = [[3, 1, 0, 1, 0], [0, 2, 3, 0, 1], [1, 0, 1, 3, 2]][int(label)]
        x = [float(rng.randint(0, w + 1)) for w in weights]
        if binary:
            x = [1.0 if v > 1 else 0.0 for v in x]
        nz = [j for j, v in enumerate(x) if v]
        vec = Vectors.sparse(5, nz, [x[j] for j in nz]) if i % 2 else Vectors.dense(x)
        rows.append((vec, label))
    return rows


def mixed_vectors(n: int, seed: int, size: int = 4) -> list[tuple[Any]]:
    """Vectors with negatives, zeros and a constant feature; odd rows sparse."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        x = [round(rng.gauss(0, 2), 3), 0.0 if i % 3 == 0 else rng.uniform(-1, 4), 7.0, float(rng.randint(-2, 2))]
        x = x[:size]
        nz = [j for j, v in enumerate(x) if v]
        rows.append((Vectors.sparse(size, nz, [x[j] for j in nz]) if i % 2 else Vectors.dense(x),))
    rows.append((Vectors.sparse(size, [], []),))  # all zeros
    return rows


# --- fixtures --------------------------------------------------------------------------------
@fixture("tutorial")
def tutorial(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """The Spark ML pipeline example, with a small numFeatures."""
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, Tokenizer

    train = spark.createDataFrame(TUTORIAL_TRAINING, ["id", "text", "label"])
    tok = Tokenizer(inputCol="text", outputCol="words")
    tf = HashingTF(inputCol="words", outputCol="features", numFeatures=1 << 10)
    lr = LogisticRegression(maxIter=10, regParam=0.001)
    model = Pipeline(stages=[tok, tf, lr]).fit(train)
    test = spark.createDataFrame(list(enumerate(EDGE_TEXTS)), ["id", "text"])
    return model, test, "Tokenizer -> HashingTF(1024) -> binary LogisticRegression"


@fixture("text")
def text(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Regex tokenizing, stop words, n-grams, count vectors and IDF."""
    from pyspark.ml.feature import IDF, CountVectorizer, NGram, RegexTokenizer, StopWordsRemover

    train = spark.createDataFrame([(t,) for t in CORPUS], ["text"])
    stages = [
        RegexTokenizer(inputCol="text", outputCol="tokens", pattern="\\W+", minTokenLength=2),
        StopWordsRemover(inputCol="tokens", outputCol="filtered"),
        NGram(n=2, inputCol="filtered", outputCol="bigrams"),
        CountVectorizer(inputCol="filtered", outputCol="tf", vocabSize=30, minDF=1.0),
        IDF(inputCol="tf", outputCol="tfidf"),
        RegexTokenizer(inputCol="text", outputCol="letters", gaps=False, pattern="[A-Za-z]+", toLowercase=False),
        CountVectorizer(inputCol="bigrams", outputCol="bigram_tf", binary=True),
    ]
    model = Pipeline(stages=stages).fit(train)
    tests = CORPUS[:4] + EDGE_TEXTS[4:] + ["Spark, SPARK! spark? über-fast engine_2 x y", "The The the THE"]
    return (
        model,
        spark.createDataFrame([(t,) for t in tests], ["text"]),
        ("RegexTokenizer (gaps and matching) -> StopWordsRemover -> NGram -> CountVectorizer -> IDF"),
    )


@fixture("tabular_random_forest")
def tabular_random_forest(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Multi-column StringIndexer (keep) -> OneHotEncoder -> VectorAssembler -> RF classifier."""
    from pyspark.ml.classification import RandomForestClassifier
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    cols = ["color", "size", "x1", "x2", "x3", "label"]
    train = spark.createDataFrame(tabular_rows(200, 1), cols)
    stages = [
        StringIndexer(inputCols=["color", "size"], outputCols=["color_idx", "size_idx"], handleInvalid="keep"),
        OneHotEncoder(inputCols=["color_idx", "size_idx"], outputCols=["color_vec", "size_vec"]),
        VectorAssembler(inputCols=["color_vec", "size_vec", "x1", "x2", "x3"], outputCol="features"),
        RandomForestClassifier(numTrees=5, maxDepth=4, seed=7),
    ]
    model = Pipeline(stages=stages).fit(train)
    test = spark.createDataFrame(tabular_rows(20, 2, unseen=True), cols)
    return (
        model,
        test,
        "StringIndexer x2 (keep, unseen labels) -> OneHotEncoder -> VectorAssembler -> RandomForestClassifier",
    )


def _tree_fixture(spark: SparkSession, estimator: Any, label: str) -> tuple[PipelineModel, DataFrame]:
    from pyspark.ml.feature import StringIndexer, VectorAssembler

    cols = ["cat", "x1", "x2", "x3", "label3", "label2", "target"]
    train = spark.createDataFrame(tree_rows(150, 3), cols)
    estimator.setLabelCol(label)
    stages = [
        StringIndexer(inputCol="cat", outputCol="cat_idx"),
        VectorAssembler(inputCols=["cat_idx", "x1", "x2", "x3"], outputCol="features", handleInvalid="keep"),
        estimator,
    ]
    model = Pipeline(stages=stages).fit(train)
    return model, spark.createDataFrame(tree_rows(18, 4, edge=True), cols)


@fixture("decision_tree_classifier")
def decision_tree_classifier(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """3-class decision tree with a categorical feature and NaN inputs."""
    from pyspark.ml.classification import DecisionTreeClassifier

    model, test = _tree_fixture(spark, DecisionTreeClassifier(maxDepth=4, seed=1), "label3")
    return (
        model,
        test,
        "StringIndexer -> VectorAssembler(keep) -> DecisionTreeClassifier (3 classes, categorical split)",
    )


@fixture("decision_tree_regressor")
def decision_tree_regressor(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Regression tree with variance column."""
    from pyspark.ml.regression import DecisionTreeRegressor

    model, test = _tree_fixture(spark, DecisionTreeRegressor(maxDepth=4, varianceCol="variance"), "target")
    return model, test, "StringIndexer -> VectorAssembler(keep) -> DecisionTreeRegressor (varianceCol)"


@fixture("gbt_classifier")
def gbt_classifier(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Binary gradient-boosted trees."""
    from pyspark.ml.classification import GBTClassifier

    model, test = _tree_fixture(spark, GBTClassifier(maxIter=5, maxDepth=3, seed=2), "label2")
    return model, test, "StringIndexer -> VectorAssembler(keep) -> GBTClassifier"


@fixture("gbt_regressor")
def gbt_regressor(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Gradient-boosted regression trees."""
    from pyspark.ml.regression import GBTRegressor

    model, test = _tree_fixture(spark, GBTRegressor(maxIter=5, maxDepth=3, seed=2), "target")
    return model, test, "StringIndexer -> VectorAssembler(keep) -> GBTRegressor"


@fixture("random_forest_regressor")
def random_forest_regressor(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Random forest regression."""
    from pyspark.ml.regression import RandomForestRegressor

    model, test = _tree_fixture(spark, RandomForestRegressor(numTrees=4, maxDepth=3, seed=5), "target")
    return model, test, "StringIndexer -> VectorAssembler(keep) -> RandomForestRegressor"


@fixture("imputer_buckets")
def imputer_buckets(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Imputer (median, mean), Bucketizer (single, multi, NaN keep), QuantileDiscretizer, Binarizer."""
    from pyspark.ml.feature import Binarizer, Bucketizer, Imputer, QuantileDiscretizer

    rng = random.Random(6)
    nan = math.nan

    def rows(n: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(n):
            a = None if i % 5 == 0 else nan if i % 7 == 0 else rng.gauss(2, 3)
            b = None if i % 4 == 1 else rng.uniform(0, 10)
            c = nan if i % 6 == 0 else rng.uniform(-5, 15)
            d = float(rng.randint(0, 19)) + (10.0 if i == 1 else 0.0)
            out.append((a, b, c, d))
        return out

    train = spark.createDataFrame(rows(80), "a double, b double, c double, d double")
    stages = [
        Imputer(inputCols=["a", "b"], outputCols=["a_med", "b_med"], strategy="median"),
        Imputer(inputCol="a", outputCol="a_mean", strategy="mean"),
        Bucketizer(splits=[-INF, 0.0, 10.0, INF], inputCol="c", outputCol="c_bucket", handleInvalid="keep"),
        Bucketizer(
            splitsArray=[[-INF, 0.0, 2.0, INF], [-INF, 5.0, 10.0, INF]],
            inputCols=["a_med", "d"],
            outputCols=["a_bucket", "d_bucket"],
        ),
        QuantileDiscretizer(numBuckets=4, inputCol="d", outputCol="d_quartile", handleInvalid="keep"),
        Binarizer(threshold=4.5, inputCol="d", outputCol="d_high"),
    ]
    model = Pipeline(stages=stages).fit(train)
    test = spark.createDataFrame(rows(16), "a double, b double, c double, d double")
    return (
        model,
        test,
        "Imputer(median, mean; nulls and NaN) -> Bucketizer(single, multi, keep) -> QuantileDiscretizer -> Binarizer",
    )


@fixture("scalers")
def scalers(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Every scaler on a mixed dense/sparse vector column with a constant feature."""
    from pyspark.ml.feature import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    train = spark.createDataFrame(mixed_vectors(40, 8), ["features"])
    stages = [
        StandardScaler(inputCol="features", outputCol="standard", withMean=True, withStd=True),
        StandardScaler(inputCol="features", outputCol="std_only"),
        MinMaxScaler(inputCol="features", outputCol="minmax", min=-1.0, max=1.0),
        MaxAbsScaler(inputCol="features", outputCol="maxabs"),
        RobustScaler(inputCol="features", outputCol="robust", withCentering=True),
    ]
    model = Pipeline(stages=stages).fit(train)
    test = spark.createDataFrame(mixed_vectors(12, 9), ["features"])
    return model, test, "StandardScaler (mean+std, std only) / MinMaxScaler / MaxAbsScaler / RobustScaler"


@fixture("vector_ops")
def vector_ops(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """PCA, PolynomialExpansion, Normalizer, ElementwiseProduct, DCT, VectorSlicer, Binarizer."""
    from pyspark.ml.feature import (
        DCT,
        PCA,
        Binarizer,
        ElementwiseProduct,
        Normalizer,
        PolynomialExpansion,
        VectorSlicer,
    )

    train = spark.createDataFrame(mixed_vectors(30, 10), ["features"])
    stages = [
        PCA(k=2, inputCol="features", outputCol="pca"),
        PolynomialExpansion(degree=2, inputCol="features", outputCol="poly"),
        Normalizer(p=1.0, inputCol="features", outputCol="l1"),
        Normalizer(p=INF, inputCol="features", outputCol="linf"),
        ElementwiseProduct(scalingVec=Vectors.dense([2.0, 0.0, -1.0, 0.5]), inputCol="features", outputCol="scaled"),
        DCT(inverse=False, inputCol="features", outputCol="dct"),
        VectorSlicer(indices=[0, 2], inputCol="features", outputCol="sliced"),
        Binarizer(threshold=0.5, inputCol="features", outputCol="binary"),
    ]
    model = Pipeline(stages=stages).fit(train)
    test = spark.createDataFrame(mixed_vectors(12, 11), ["features"])
    return (
        model,
        test,
        "PCA / PolynomialExpansion / Normalizer(1, inf) / ElementwiseProduct / DCT / VectorSlicer / Binarizer(vector)",
    )


@fixture("interaction_indexer_hasher")
def interaction_indexer_hasher(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """VectorIndexer (keep), Interaction, FeatureHasher with numeric, string, bool, categorical."""
    from pyspark.ml.feature import FeatureHasher, Interaction, VectorAssembler, VectorIndexer

    def rows(n: int, seed: int, unseen: bool) -> list[tuple[Any, ...]]:
        rng = random.Random(seed)
        out = []
        for i in range(n):
            level = float(rng.randint(0, 2)) if not (unseen and i % 5 == 2) else 5.0
            vec = Vectors.dense([level, rng.gauss(0, 1), float(rng.randint(0, 1))])
            out.append(
                (
                    rng.uniform(-2, 2),
                    float(rng.randint(1, 3)),
                    rng.gauss(0, 1),
                    rng.choice(["x", "y", "zz"]),
                    i % 2 == 0,
                    vec,
                )
            )
        return out

    cols = ["x", "y", "z", "s", "flag", "vec"]
    train = spark.createDataFrame(rows(50, 12, False), cols)
    stages = [
        VectorIndexer(inputCol="vec", outputCol="vec_idx", maxCategories=3, handleInvalid="keep"),
        VectorAssembler(inputCols=["y", "z"], outputCol="yz"),
        Interaction(inputCols=["x", "yz"], outputCol="x_yz"),
        FeatureHasher(inputCols=["x", "y", "s", "flag"], categoricalCols=["y"], outputCol="hashed", numFeatures=32),
    ]
    model = Pipeline(stages=stages).fit(train)
    return (
        model,
        spark.createDataFrame(rows(12, 13, True), cols),
        (
            "VectorIndexer(maxCategories=3, keep) / VectorAssembler -> Interaction / FeatureHasher(numeric, string, bool, categorical numeric)"
        ),
    )


def _linear_fixture(spark: SparkSession, estimator: Any) -> tuple[PipelineModel, DataFrame]:
    cols = ["features", "label", "count", "klass", "positive"]
    model = Pipeline(stages=[estimator]).fit(spark.createDataFrame(linear_rows(120, 14), cols))
    return model, spark.createDataFrame(linear_rows(12, 15), cols)


@fixture("linear_regression")
def linear_regression(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Elastic-net linear regression."""
    from pyspark.ml.regression import LinearRegression

    model, test = _linear_fixture(spark, LinearRegression(regParam=0.01, elasticNetParam=0.5))
    return model, test, "LinearRegression(elastic net)"


@fixture("glr_poisson")
def glr_poisson(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Poisson GLR with log link and the link-prediction column."""
    from pyspark.ml.regression import GeneralizedLinearRegression

    glr = GeneralizedLinearRegression(family="poisson", link="log", labelCol="count", linkPredictionCol="link")
    model, test = _linear_fixture(spark, glr)
    return model, test, "GeneralizedLinearRegression(poisson, log, linkPredictionCol)"


@fixture("glr_binomial_probit")
def glr_binomial_probit(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Binomial GLR with probit link."""
    from pyspark.ml.regression import GeneralizedLinearRegression

    glr = GeneralizedLinearRegression(family="binomial", link="probit", labelCol="positive", regParam=0.01)
    model, test = _linear_fixture(spark, glr)
    return model, test, "GeneralizedLinearRegression(binomial, probit)"


@fixture("linear_svc")
def linear_svc(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Linear SVM."""
    from pyspark.ml.classification import LinearSVC

    model, test = _linear_fixture(spark, LinearSVC(regParam=0.01, labelCol="positive"))
    return model, test, "LinearSVC"


@fixture("logistic_multinomial_thresholds")
def logistic_multinomial_thresholds(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """3-class multinomial logistic regression with thresholds."""
    from pyspark.ml.classification import LogisticRegression

    lr = LogisticRegression(family="multinomial", labelCol="klass", regParam=0.01, thresholds=[0.5, 0.3, 0.2])
    model, test = _linear_fixture(spark, lr)
    return model, test, "LogisticRegression(multinomial, 3 classes, thresholds)"


def _naive_bayes(spark: SparkSession, model_type: str) -> tuple[PipelineModel, DataFrame, str]:
    from pyspark.ml.classification import NaiveBayes

    binary = model_type == "bernoulli"
    train = spark.createDataFrame(count_rows(60, 16, binary=binary), ["features", "label"])
    model = Pipeline(stages=[NaiveBayes(modelType=model_type, smoothing=1.0)]).fit(train)
    test = spark.createDataFrame(count_rows(12, 17, binary=binary), ["features", "label"])
    return model, test, f"NaiveBayes({model_type}, 3 classes, dense and sparse rows)"


@fixture("naive_bayes_multinomial")
def naive_bayes_multinomial(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Multinomial naive Bayes."""
    return _naive_bayes(spark, "multinomial")


@fixture("naive_bayes_bernoulli")
def naive_bayes_bernoulli(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Bernoulli naive Bayes."""
    return _naive_bayes(spark, "bernoulli")


@fixture("naive_bayes_gaussian")
def naive_bayes_gaussian(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Gaussian naive Bayes."""
    return _naive_bayes(spark, "gaussian")


@fixture("naive_bayes_complement")
def naive_bayes_complement(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """Complement naive Bayes."""
    return _naive_bayes(spark, "complement")


@fixture("kmeans")
def kmeans(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """K-means with Euclidean distance."""
    from pyspark.ml.clustering import KMeans

    train = spark.createDataFrame(mixed_vectors(40, 18), ["features"])
    model = Pipeline(stages=[KMeans(k=3, seed=3)]).fit(train)
    return model, spark.createDataFrame(mixed_vectors(12, 19), ["features"]), "KMeans(k=3, euclidean)"


@fixture("kmeans_cosine")
def kmeans_cosine(spark: SparkSession) -> tuple[PipelineModel, DataFrame, str]:
    """K-means with cosine distance."""
    from pyspark.ml.clustering import KMeans

    train = spark.createDataFrame(mixed_vectors(40, 20)[:-1], ["features"])  # cosine rejects zero vectors
    model = Pipeline(stages=[KMeans(k=3, seed=3, distanceMeasure="cosine")]).fit(train)
    test = spark.createDataFrame(mixed_vectors(12, 21)[:-1], ["features"])
    return model, test, "KMeans(k=3, cosine)"


# --- writing ---------------------------------------------------------------------------------
def _strip_crc(root: Path) -> None:
    """Drop Hadoop's .crc side files: Spark does not need them to load, and they bloat the tree."""
    for p in root.rglob(".*.crc"):
        p.unlink()


def _stage_classes(model_dir: Path) -> list[str]:
    """The Spark class of every saved stage, in pipeline order, read back from its metadata."""
    stage_dirs = sorted((model_dir / "stages").iterdir(), key=lambda d: int(d.name.split("_", 1)[0]))
    return [json.loads((d / "metadata" / "part-00000").read_text(encoding="utf-8"))["class"] for d in stage_dirs]


def _format_json(doc: dict[str, Any]) -> str:
    """JSON with one row per line: compact, yet a diff shows which rows changed."""
    lines = ["{"]
    items = list(doc.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in value)
            lines.append(f" {json.dumps(key)}: [\n{rows}\n ]{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_fixture(spark: SparkSession, name: str, out_dir: Path) -> int:
    """Fit, save and record one fixture; returns its size in bytes."""
    model, test, description = FIXTURES[name](spark)
    target = out_dir / name
    if target.exists():
        shutil.rmtree(target)
    model.write().overwrite().save(str(target / "model"))
    _strip_crc(target / "model")
    inputs = spark_rows(test)
    outputs = spark_rows(model.transform(test))
    if len(outputs) != len(inputs):
        raise SystemExit(f"{name}: Spark returned {len(outputs)} rows for {len(inputs)} inputs; fixtures must be 1:1")
    doc = {
        "description": description,
        "spark_version": spark.version,
        "stages": _stage_classes(target / "model"),
        "inputs": inputs,
        "outputs": outputs,
    }
    (target / "expected.json").write_text(_format_json(doc), encoding="utf-8")
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    """Write the named fixtures (all by default) and print their sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"fixtures to write (default: all of {', '.join(FIXTURES)})")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in FIXTURES]
    if unknown:
        parser.error(f"unknown fixture(s) {unknown}; choose from {sorted(FIXTURES)}")

    import pyspark

    if not pyspark.__version__.startswith("3.5"):
        parser.error(f"this needs pyspark 3.5 (found {pyspark.__version__}); see the module docstring for the venv")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("spark35-fixtures")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        total = 0
        for name in args.names or list(FIXTURES):
            size = write_fixture(spark, name, args.out)
            total += size
            print(f"{name:36s} {size / 1024:7.1f} KiB")
        print(f"{'total':36s} {total / 1024:7.1f} KiB")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
