"""Pipelines that index their label score rows without one, exactly as Spark does.

Spark's StringIndexerModel skips an input column absent from the dataset (single and
multi column, handleInvalid 'error' and 'keep'), so ``StringIndexer(label) → … →
classifier(labelCol=label_idx)`` serves rows that carry no label. Under 'skip' its row
filter reads every input, and Spark fails: so does the runtime.
"""

from __future__ import annotations

from typing import Any

import pytest
from sparkml_runtime import InvalidInputError

from .model_parity import assert_parity_both_paths
from .parity_extra import save_and_load

pytestmark = pytest.mark.parity

TRAIN = [
    ("red", 1.0, "yes"),
    ("blue", 0.5, "no"),
    ("red", 2.0, "yes"),
    ("green", -1.0, "no"),
    ("blue", 3.0, "yes"),
    ("green", 0.0, "no"),
    ("red", -0.5, "no"),
    ("blue", 1.5, "yes"),
]
SCORE = [("red", 0.25), ("blue", -2.0), ("green", 4.0), ("red", 1.0), ("blue", 0.0)] * 2


def _label_pipeline(spark: Any, multi: bool) -> Any:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    train = spark.createDataFrame(TRAIN, ["color", "x", "label"])
    if multi:
        indexers = [StringIndexer(inputCols=["color", "label"], outputCols=["color_idx", "label_idx"])]
    else:
        indexers = [
            StringIndexer(inputCol="label", outputCol="label_idx"),
            StringIndexer(inputCol="color", outputCol="color_idx", handleInvalid="keep"),
        ]
    stages = [
        *indexers,
        OneHotEncoder(inputCol="color_idx", outputCol="color_vec"),
        VectorAssembler(inputCols=["color_vec", "x"], outputCol="features"),
        LogisticRegression(labelCol="label_idx", regParam=0.1),
    ]
    return Pipeline(stages=stages).fit(train)


@pytest.mark.parametrize("multi", [False, True], ids=["single-column", "multi-column"])
def test_label_indexing_pipeline_scores_rows_without_a_label(spark, tmp_path, multi):
    model = _label_pipeline(spark, multi)
    unlabelled = spark.createDataFrame(SCORE, ["color", "x"])
    pipeline = assert_parity_both_paths(model, unlabelled, tmp_path)

    inputs = {f.name: f for f in pipeline.input_schema}
    assert list(inputs) == (["color", "label", "x"] if multi else ["label", "color", "x"])
    assert not inputs["label"].required and inputs["color"].required and inputs["x"].required
    assert inputs["label"].to_dict()["required"] is False
    outputs = {f.name: f for f in pipeline.output_schema}
    assert not outputs["label_idx"].required and outputs["prediction"].required
    # With a label the rows still score, and label_idx is added as Spark adds it.
    labelled = spark.createDataFrame([(c, x, "yes") for c, x in SCORE], ["color", "x", "label"])
    assert_parity_both_paths(model, labelled, tmp_path)


def test_an_optional_input_feeding_a_required_one_is_required(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer

    train = spark.createDataFrame([(c,) for c, _, _ in TRAIN], ["color"])
    model = Pipeline(
        stages=[
            StringIndexer(inputCol="color", outputCol="color_idx"),
            OneHotEncoder(inputCol="color_idx", outputCol="color_vec"),
        ]
    ).fit(train)
    pipeline = save_and_load(model, tmp_path, "chain")
    assert [(f.name, f.required) for f in pipeline.input_schema] == [("color", True)]
    assert all(f.required for f in pipeline.output_schema)


def test_skip_mode_needs_the_column_as_spark_does(spark, tmp_path):
    from pyspark.ml.feature import StringIndexer

    train = spark.createDataFrame(TRAIN, ["color", "x", "label"])
    model = StringIndexer(inputCol="label", outputCol="label_idx", handleInvalid="skip").fit(train)
    with pytest.raises(Exception, match="UNRESOLVED_COLUMN"):
        model.transform(spark.createDataFrame(SCORE, ["color", "x"])).collect()
    pipeline = save_and_load(model, tmp_path, "skip")
    assert [(f.name, f.required) for f in pipeline.input_schema] == [("label", True)]
    rows = [{"color": c, "x": x} for c, x in SCORE]
    for batch in (rows[:1], rows):  # row path and columnar path
        with pytest.raises(InvalidInputError, match="missing input column") as err:
            pipeline.transform_rows(batch)
        assert err.value.column == "label"
