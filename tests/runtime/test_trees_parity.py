"""Parity of tree models (decision tree, random forest, GBT; classifiers and regressors).

Trees are trained on features that VectorIndexer marked categorical, so Spark fits real
categorical splits (checked in the saved nodes, both of Spark's "isLeft" kinds); inputs then
probe what breaks naive ports: values exactly on thresholds, NaN (continuous and
categorical), unseen/fractional/negative categories, sparse and dense vectors.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sparkml_runtime import load_pipeline

from .model_parity import assert_parity_both_paths, compare_rows
from .parity import spark_rows

pytestmark = pytest.mark.parity

NAN = float("nan")


def _training_rows() -> list[tuple[float, float, float, list[float]]]:
    """(binary label, 3-class label, regression target, raw features [cat0, x1, cat2, x3])."""
    rng = random.Random(7)
    rows = []
    for i in range(240):
        c0, c2 = i % 6, (i // 6) % 3
        x1, x3 = round(rng.uniform(-3, 3), 3), round(rng.gauss(0, 1), 3)
        binary = 1.0 if (c0 in (0, 3, 4, 5) and x1 > -1) or (c2 == 1 and x3 > 0.5) else 0.0
        three = float((c0 + (x1 > 0) + (c2 == 2)) % 3)
        target = 2.0 * c0 - 1.5 * x1 + (3.0 if c2 == 1 else 0.0) + 0.5 * x3
        rows.append((binary, three, target, [float(c0), x1, float(c2), x3]))
    return rows


@pytest.fixture(scope="module")
def train(spark):
    """Training data whose features carry VectorIndexer's categorical metadata (0 and 2)."""
    from pyspark.ml.feature import VectorIndexer
    from pyspark.ml.linalg import Vectors

    df = spark.createDataFrame(
        [(b, t, y, Vectors.dense(f)) for b, t, y, f in _training_rows()], ["label", "label3", "target", "raw"]
    )
    indexer = VectorIndexer(inputCol="raw", outputCol="features", maxCategories=6).fit(df)
    assert set(indexer.categoryMaps) == {0, 2}
    return indexer.transform(df).cache()


def _saved_splits(model: Any, path: Path) -> list[dict[str, Any]]:
    """The split structs of every internal node, read back from the saved data/."""
    model.write().overwrite().save(str(path))
    table = pq.read_table(path / "data").to_pylist()
    nodes = [r.get("nodeData", r) for r in table]
    return [n["split"] for n in nodes if n["leftChild"] >= 0]


def _probe_vectors(splits: list[dict[str, Any]]) -> list[Any]:
    """Feature vectors that hit the edges of the fitted splits, dense and sparse."""
    from pyspark.ml.linalg import Vectors

    base = [[float(c0), x1, float(c2), x3] for _, _, _, (c0, x1, c2, x3) in _training_rows()[:24:2]]
    probes = [list(v) for v in base]
    for s in splits:
        f, values = s["featureIndex"], s["leftCategoriesOrThreshold"]
        if s["numCategories"] == -1:  # exactly on the threshold goes left; just above goes right
            for value in (values[0], math.nextafter(values[0], math.inf)):
                v = list(base[len(probes) % len(base)])
                v[f] = value
                probes.append(v)
    for f, odd in ((0, [6.0, 7.0, -1.0, 1.5, NAN, -0.0]), (2, [3.0, 0.5, NAN])):
        for value in odd:  # unseen, fractional, negative, NaN categories
            v = list(base[len(probes) % len(base)])
            v[f] = value
            probes.append(v)
    for f in (1, 3):  # NaN in continuous features goes right
        v = list(base[f])
        v[f] = NAN
        probes.append(v)
    probes.append([0.0, 0.0, 0.0, 0.0])
    out = []
    for i, v in enumerate(probes):
        if i % 3 == 1:  # a third of the rows as sparse vectors (zeros left out)
            nz = [j for j, x in enumerate(v) if x != 0]
            out.append(Vectors.sparse(4, nz, [v[j] for j in nz]))
        else:
            out.append(Vectors.dense(v))
    return out


def _check(spark, model, tmp_path: Path, vectors: list[Any]) -> None:
    """Parity on the row path and the columnar path."""
    df = spark.createDataFrame([(i, v) for i, v in enumerate(vectors)], ["id", "features"])
    assert_parity_both_paths(model, df, tmp_path)


def _assert_both_categorical_kinds(splits: list[dict[str, Any]]) -> None:
    categorical = [s for s in splits if s["numCategories"] != -1]
    assert categorical, "the fitted model has no categorical split"
    kinds = {len(s["leftCategoriesOrThreshold"]) <= s["numCategories"] // 2 for s in categorical}
    assert kinds == {True, False}, f"expected both isLeft kinds of categorical split, got {categorical}"


def test_decision_tree_classifier(spark, train, tmp_path):
    from pyspark.ml.classification import DecisionTreeClassifier

    model = DecisionTreeClassifier(maxDepth=4, seed=1, leafCol="leaf").fit(train)
    splits = _saved_splits(model, tmp_path / "dt")
    _assert_both_categorical_kinds(splits)
    vectors = _probe_vectors(splits)
    _check(spark, model, tmp_path, vectors)
    # thresholds (one of them 0) move the prediction off the raw argmax
    model.setThresholds([0.0, 0.4])
    _check(spark, model, tmp_path, vectors)
    model.setThresholds([0.7, 0.3]).setRawPredictionCol("")
    _check(spark, model, tmp_path, vectors)
    model.setProbabilityCol("").setLeafCol("")
    _check(spark, model, tmp_path, vectors)


def test_decision_tree_regressor_with_variance_and_leaf(spark, train, tmp_path):
    from pyspark.ml.regression import DecisionTreeRegressor

    model = DecisionTreeRegressor(labelCol="target", maxDepth=5, varianceCol="variance", leafCol="leaf").fit(train)
    splits = _saved_splits(model, tmp_path / "dtr")
    assert any(s["numCategories"] != -1 for s in splits)
    _check(spark, model, tmp_path, _probe_vectors(splits))


def test_random_forest_classifier_multiclass(spark, train, tmp_path):
    from pyspark.ml.classification import RandomForestClassifier

    model = RandomForestClassifier(labelCol="label3", numTrees=12, maxDepth=5, seed=3, leafCol="leaves").fit(train)
    splits = _saved_splits(model, tmp_path / "rf")
    assert any(s["numCategories"] != -1 for s in splits)
    vectors = _probe_vectors(splits)
    _check(spark, model, tmp_path, vectors)
    model.setThresholds([0.5, 0.0, 0.8]).setLeafCol("")
    _check(spark, model, tmp_path, vectors)
    model.setThresholds([0.2, 0.5, 0.3]).setRawPredictionCol("")
    _check(spark, model, tmp_path, vectors)


def test_random_forest_regressor(spark, train, tmp_path):
    from pyspark.ml.regression import RandomForestRegressor

    model = RandomForestRegressor(labelCol="target", numTrees=8, maxDepth=4, seed=5).fit(train)
    splits = _saved_splits(model, tmp_path / "rfr")
    _check(spark, model, tmp_path, _probe_vectors(splits))


def test_gbt_classifier(spark, train, tmp_path):
    from pyspark.ml.classification import GBTClassifier

    model = GBTClassifier(maxIter=6, maxDepth=3, seed=2, leafCol="leaves").fit(train)
    splits = _saved_splits(model, tmp_path / "gbt")
    assert any(s["numCategories"] != -1 for s in splits)
    vectors = _probe_vectors(splits)
    _check(spark, model, tmp_path, vectors)
    model.setThresholds([0.3, 0.7]).setLeafCol("")
    _check(spark, model, tmp_path, vectors)
    model.setRawPredictionCol("").setProbabilityCol("")
    _check(spark, model, tmp_path, vectors)


def test_gbt_regressor(spark, train, tmp_path):
    from pyspark.ml.regression import GBTRegressor

    model = GBTRegressor(labelCol="target", maxIter=5, maxDepth=3, seed=4, leafCol="leaves").fit(train)
    splits = _saved_splits(model, tmp_path / "gbtr")
    _check(spark, model, tmp_path, _probe_vectors(splits))


# --- the layout Spark < 3.0 wrote: no rawCount, treesMetadata named (treeID, metadata, weights) --
def _downgrade_to_spark2_layout(path: Path) -> None:
    """Rewrite a saved tree model as Spark 2.4 laid it out (Spark's loader has a branch for it)."""
    for crc in path.rglob("*.crc"):
        crc.unlink()  # Spark verifies .crc files; the rewritten files have none
    meta_file = next((path / "metadata").glob("part-*"))
    meta = json.loads(meta_file.read_text())
    meta["sparkVersion"] = "2.4.8"
    meta_file.write_text(json.dumps(meta) + "\n")
    data = pq.read_table(path / "data")
    if "nodeData" in data.column_names:
        nodes = data.column("nodeData").combine_chunks()
        kept = [f.name for f in nodes.type if f.name != "rawCount"]
        old_nodes = pa.StructArray.from_arrays([nodes.field(n) for n in kept], names=kept)
        data = pa.table({"treeID": data.column("treeID"), "nodeData": old_nodes})
    else:
        data = data.drop_columns(["rawCount"])
    shutil.rmtree(path / "data")
    (path / "data").mkdir()
    pq.write_table(data, path / "data" / "part-00000.snappy.parquet")
    if (path / "treesMetadata").exists():
        trees = pq.read_table(path / "treesMetadata").rename_columns(["treeID", "metadata", "weights"])
        shutil.rmtree(path / "treesMetadata")
        (path / "treesMetadata").mkdir()
        pq.write_table(trees, path / "treesMetadata" / "part-00000.snappy.parquet")


@pytest.mark.parametrize("kind", ["rf", "dt"])
def test_pre_spark3_tree_layout(spark, train, tmp_path, kind):
    from pyspark.ml.classification import (
        DecisionTreeClassificationModel,
        DecisionTreeClassifier,
        RandomForestClassificationModel,
        RandomForestClassifier,
    )

    if kind == "rf":
        fitted: Any = RandomForestClassifier(numTrees=4, maxDepth=3, seed=9).fit(train)
        reader: Any = RandomForestClassificationModel
    else:
        fitted = DecisionTreeClassifier(maxDepth=3, seed=9).fit(train)
        reader = DecisionTreeClassificationModel
    path = tmp_path / "old"
    splits = _saved_splits(fitted, path)
    _downgrade_to_spark2_layout(path)
    assert "rawCount" not in str(pq.read_table(path / "data").schema)
    vectors = _probe_vectors(splits)
    df = spark.createDataFrame([(i, v) for i, v in enumerate(vectors)], ["id", "features"])
    expected = spark_rows(reader.load(str(path)).transform(df))  # Spark reads the old layout itself
    pipeline = load_pipeline(path)
    inputs = spark_rows(df)
    compare_rows(pipeline.transform_rows(inputs), expected, "columnar")
    compare_rows(pipeline.transform_rows(inputs[:8]), expected[:8], "row path")


def test_bad_feature_size_is_a_clear_error(spark, train, tmp_path):
    from pyspark.ml.regression import DecisionTreeRegressor
    from sparkml_runtime import InvalidInputError

    model = DecisionTreeRegressor(labelCol="target", maxDepth=2).fit(train)
    model.write().overwrite().save(str(tmp_path / "m"))
    pipeline = load_pipeline(tmp_path / "m")
    with pytest.raises(InvalidInputError, match="size 3, the model expects 4"):
        pipeline.transform_rows([{"features": [1.0, 2.0, 3.0]}])
    with pytest.raises(InvalidInputError, match="size 3, the model expects 4"):
        pipeline.transform_rows([{"features": [1.0, 2.0, 3.0]}] * 9)
