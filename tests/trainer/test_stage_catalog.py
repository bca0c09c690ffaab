"""The pyspark-free stage catalog agrees with pyspark: the committed JSON and every converter twin."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pyspark.ml.linalg import DenseVector
from pyspark.ml.param import TypeConverters

from services.trainer.stage_catalog import ALLOWED_STAGES, CATALOG_PATH, CONVERTERS
from services.trainer.stage_classes import STAGE_CLASSES, catalog_json


def test_committed_catalog_matches_the_installed_pyspark():
    assert CATALOG_PATH.read_text(encoding="utf-8") == catalog_json(), (
        "services/trainer/stage_catalog.json is stale: run `python -m services.trainer.stage_classes`"
    )


def test_catalog_and_classes_name_the_same_stages():
    assert set(ALLOWED_STAGES) == set(STAGE_CLASSES)


@pytest.mark.parametrize(
    ("stage", "fitted"),
    [
        ("Tokenizer", ("org.apache.spark.ml.feature.Tokenizer",)),  # a transformer is saved as itself
        ("LogisticRegression", ("org.apache.spark.ml.classification.LogisticRegressionModel",)),
        ("GBTRegressor", ("org.apache.spark.ml.regression.GBTRegressionModel",)),
        ("QuantileDiscretizer", ("org.apache.spark.ml.feature.Bucketizer",)),  # fit gives a Bucketizer
        (
            "LDA",  # LocalLDAModel or DistributedLDAModel, by optimizer
            ("org.apache.spark.ml.clustering.DistributedLDAModel", "org.apache.spark.ml.clustering.LocalLDAModel"),
        ),
    ],
)
def test_the_catalog_names_the_spark_class_each_stage_is_saved_as(stage, fitted):
    assert ALLOWED_STAGES[stage].fitted == fitted


# What a JSON spec (or a Python caller) may put in a param, right or wrong for each converter.
# No tuples: pyspark's messages format them with `%` and fail with an unrelated TypeError.
VALUES: list[Any] = [
    0,
    7,
    -3,
    10.0,
    10.5,
    float("inf"),
    True,
    False,
    "text",
    "",
    None,
    [],
    [1, 2],
    [1.5, 2],
    [1, True],
    ["a", "b"],
    ["a", 1],
    [[1, 2], [3.5]],
    [[1, "x"]],
    {"a": 1},
    np.int64(4),
    np.float64(2.5),
]


def _outcome(convert: Any, value: Any) -> tuple[str, Any]:
    try:
        result = convert(value)
    except (TypeError, ValueError) as exc:
        return ("error", f"{type(exc).__name__}: {exc}")
    if isinstance(result, DenseVector):
        result = [float(v) for v in result]  # the twin keeps the list; pyspark makes it a vector at build time
    return ("value", result)


@pytest.mark.parametrize("name", sorted(CONVERTERS))
def test_each_converter_twin_accepts_and_refuses_what_pyspark_does(name):
    spark_convert = getattr(TypeConverters, name)
    disagreements = {
        repr(v): (_outcome(CONVERTERS[name], v), _outcome(spark_convert, v))
        for v in VALUES
        if _outcome(CONVERTERS[name], v) != _outcome(spark_convert, v)
    }
    assert not disagreements, disagreements
