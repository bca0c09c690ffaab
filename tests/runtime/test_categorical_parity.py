"""Parity of the categorical stages with Spark: StringIndexerModel, IndexToString,
OneHotEncoderModel and VectorIndexerModel.

Inputs cover what breaks naive ports: frequency ties (broken alphabetically), labels that
differ only in case or whitespace, numeric inputs that Spark casts to string ("1.0",
"1.0E7", "-0.0", "NaN"), nulls and NaN under each handleInvalid mode, unseen categories,
non-integral indices for the encoder, and VectorIndexer fed dense and sparse vectors
(sparse ones keep implicit zeros even where 0.0 was never seen).
"""

from __future__ import annotations

from typing import Any

import pytest
from sparkml_runtime import Field, InvalidInputError, UnsupportedStageError

from .parity import assert_close, assert_parity, spark_rows
from .parity_extra import assert_both_reject, assert_rows_match, save_and_load

pytestmark = pytest.mark.parity

NAN = float("nan")

# color: red x3, blue x2 and green x2 (a frequency tie), then singletons that differ only in
# case, accents or whitespace. size: doubles whose string forms are "1.0E7", "-0.0", "2.5".
# n: integers ("1", "2", "3").
TRAIN = [
    ("red", 1.0, 1),
    ("red", 2.5, 2),
    ("red", 1e7, 3),
    ("blue", -0.0, 1),
    ("blue", 1.0, 2),
    ("green", 2.5, 3),
    ("green", 0.001, 1),
    ("Red", 1.0, 2),
    ("naïve", 1e-4, 3),
    (" red", 2.5, 1),
    ("", 1.0, 2),
]
# OneHotEncoder names its output attributes after the labels, and Spark refuses an empty name.
NAMED_TRAIN = [r for r in TRAIN if r[0] != ""]
# Unseen labels ("purple", 7.5, 9), null, NaN, an empty string and numbers sent as JSON ints.
SCORE = [
    ("red", 1.0, 1),
    ("purple", 2.5, 2),
    ("blue", None, 3),
    (None, 1e7, 1),
    ("green", NAN, 9),
    ("", -0.0, 2),
    (" red", 7.5, 3),
    ("naïve", 0.001, None),
]


def indexer_df(spark: Any, rows: list[tuple[Any, ...]]) -> Any:
    from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType

    schema = StructType(
        [StructField("color", StringType()), StructField("size", DoubleType()), StructField("n", IntegerType())]
    )
    return spark.createDataFrame(rows, schema)


def fit_indexer(spark: Any, order: str) -> Any:
    from pyspark.ml.feature import StringIndexer

    indexer = StringIndexer(
        inputCols=["color", "size", "n"], outputCols=["color_idx", "size_idx", "n_idx"], stringOrderType=order
    )
    return indexer.fit(indexer_df(spark, TRAIN))


# --- StringIndexerModel ------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["frequencyDesc", "alphabetAsc"])
def test_string_indexer_orders_and_keep_match_spark(spark, tmp_path, order):
    model = fit_indexer(spark, order).setHandleInvalid("keep")
    labels = model.labelsArray
    if order == "frequencyDesc":
        # The tie between blue and green (2 each) is broken alphabetically.
        assert labels[0][:3] == ["red", "blue", "green"]
        assert labels[1][:2] == ["1.0", "2.5"] and "1.0E7" in labels[1] and "-0.0" in labels[1]
    else:
        assert labels[0] == sorted(labels[0])
    # 8 rows go through the row path, 24 through the columnar path.
    assert_parity(model, indexer_df(spark, SCORE), tmp_path)
    assert_parity(model, indexer_df(spark, SCORE * 3), tmp_path)


def test_string_indexer_skip_drops_rows_as_spark_does(spark, tmp_path):
    model = fit_indexer(spark, "frequencyDesc").setHandleInvalid("skip")
    # Spark's na.drop also drops the NaN size although "NaN" could be a label.
    pipeline = assert_parity(model, indexer_df(spark, SCORE), tmp_path)
    kept = pipeline.transform_rows(spark_rows(indexer_df(spark, SCORE)))
    assert [r["color"] for r in kept] == ["red", ""]
    assert_parity(model, indexer_df(spark, SCORE * 3), tmp_path)


def test_string_indexer_numeric_inputs_sent_as_any_json_number(spark, tmp_path):
    """A double column's labels are JVM strings: 2.5, 1e7 and -0.0 must find "2.5", "1.0E7",
    "-0.0"; 1 sent as a JSON int must still find "1.0", and 2.0 sent for an int column "2"."""
    model = fit_indexer(spark, "frequencyDesc").setHandleInvalid("keep")
    pipeline = save_and_load(model, tmp_path, "numeric_json")
    expected = spark_rows(model.transform(indexer_df(spark, [("red", 1.0, 2), ("red", 1e7, 3), ("red", -0.0, 1)])))
    sent = [
        {"color": "red", "size": 1, "n": 2.0},
        {"color": "red", "size": 10**7, "n": 3},
        {"color": "red", "size": -0.0, "n": 1},
    ]
    for i, row in enumerate(pipeline.transform_rows(sent)):
        for col in ("size_idx", "n_idx"):
            assert_close(row[col], expected[i][col], f"row {i} {col}")
    # 0.0 is not -0.0: Spark's cast keeps the sign, so 0.0 is unseen.
    zero = pipeline.transform_rows([{"color": "red", "size": 0.0, "n": 1}])[0]
    assert zero["size_idx"] == float(len(model.labelsArray[1]))


def test_string_indexer_single_column_and_numeric_only_column(spark, tmp_path):
    from pyspark.ml.feature import StringIndexer

    df = indexer_df(spark, TRAIN)
    model = StringIndexer(inputCol="size", outputCol="size_idx", handleInvalid="keep").fit(df)
    pipeline = assert_parity(model, indexer_df(spark, SCORE), tmp_path)
    assert [f.name for f in pipeline.output_schema] == ["size_idx"]


@pytest.mark.parametrize(
    "rows,says,column,row",
    [
        ([("red", 1.0, 1), ("red", 1.0, 1), ("purple", 1.0, 1)], "Unseen label: purple", "color", 2),
        ([("red", 1.0, 1), (None, 1.0, 1)], "NULL value", "color", 1),
        ([("red", 1.0, 1), ("red", 3.25, 1)], "Unseen label: 3.25", "size", 1),
        ([("red", 1.0, 1), ("red", NAN, 1)], "Unseen label: NaN", "size", 1),
        ([("red", 1.0, 1), ("red", 1.0, 7)], "Unseen label: 7", "n", 1),
    ],
)
def test_string_indexer_error_names_column_stage_and_row(spark, tmp_path, rows, says, column, row):
    model = fit_indexer(spark, "frequencyDesc")  # handleInvalid defaults to "error"
    df = indexer_df(spark, rows)
    err = assert_both_reject(
        model, df, tmp_path, spark_rows(df), spark_says=says, column=column, row=row, stage="StringIndexerModel"
    )
    assert "handleInvalid" in err.message


def test_string_indexer_refuses_values_that_are_not_scalars(spark, tmp_path):
    pipeline = save_and_load(fit_indexer(spark, "frequencyDesc").setHandleInvalid("keep"), tmp_path, "bad_type")
    with pytest.raises(InvalidInputError) as err:
        pipeline.transform_rows([{"color": ["red"], "size": 1.0, "n": 1}])
    assert err.value.column == "color" and err.value.row == 0 and "list" in err.value.message


# --- IndexToString -----------------------------------------------------------------------------------


def test_index_to_string_with_labels_matches_spark(spark, tmp_path):
    from pyspark.ml.feature import IndexToString

    model = IndexToString(inputCol="idx", outputCol="label", labels=["red", "blue", "green"])
    df = spark.createDataFrame([(0.0,), (1.9,), (2.0,), (-0.5,), (1.0,)], "idx double")
    assert_parity(model, df, tmp_path)
    bad = spark.createDataFrame([(0.0,), (3.0,)], "idx double")
    assert_both_reject(
        model, bad, tmp_path, spark_rows(bad), spark_says="Unseen index: 3", column="idx", row=1, stage="IndexToString"
    )
    nan = spark.createDataFrame([(1.0,), (NAN,)], "idx double")
    assert_both_reject(
        model, nan, tmp_path, spark_rows(nan), spark_says="NaN", column="idx", row=1, stage="IndexToString"
    )


def test_index_to_string_without_labels_fails_at_load(spark, tmp_path):
    from pyspark.ml.feature import IndexToString

    with pytest.raises(UnsupportedStageError) as err:
        save_and_load(IndexToString(inputCol="idx", outputCol="label"), tmp_path, "no_labels")
    assert err.value.class_name == "org.apache.spark.ml.feature.IndexToString"
    assert "labels" in str(err.value)


# --- OneHotEncoderModel ------------------------------------------------------------------------------

OHE_TRAIN = [(0.0, 1.0), (1.0, 0.0), (2.0, 2.0), (1.0, 3.0)]  # a: 3 categories, b: 4
# 1.7 encodes at 1 (Spark truncates); NaN, -1 and 3 are invalid for a.
OHE_SCORE = [(0.0, 1.0), (1.7, 3.0), (2.0, 0.0), (NAN, 2.0), (3.0, 0.0), (-1.0, 3.999), (2.0, 1.0), (0.0, 0.0)]


def ohe_df(spark: Any, rows: list[tuple[Any, ...]]) -> Any:
    return spark.createDataFrame(rows, "a double, b double")


@pytest.mark.parametrize("drop_last", [True, False])
def test_one_hot_multi_column_keep_matches_spark(spark, tmp_path, drop_last):
    from pyspark.ml.feature import OneHotEncoder

    encoder = OneHotEncoder(inputCols=["a", "b"], outputCols=["av", "bv"], handleInvalid="keep", dropLast=drop_last)
    model = encoder.fit(ohe_df(spark, OHE_TRAIN))
    assert_parity(model, ohe_df(spark, OHE_SCORE), tmp_path)
    assert_parity(model, ohe_df(spark, OHE_SCORE * 2), tmp_path)


@pytest.mark.parametrize("drop_last", [True, False])
def test_one_hot_error_mode_matches_spark_on_valid_rows_and_rejects_invalid(spark, tmp_path, drop_last):
    from pyspark.ml.feature import OneHotEncoder

    encoder = OneHotEncoder(inputCols=["a", "b"], outputCols=["av", "bv"], dropLast=drop_last)
    model = encoder.fit(ohe_df(spark, OHE_TRAIN))
    valid = [r for r in OHE_SCORE if 0 <= r[0] < 3 and 0 <= r[1] < 4]
    assert_parity(model, ohe_df(spark, valid), tmp_path)
    assert_parity(model, ohe_df(spark, valid * 3), tmp_path)
    unseen = ohe_df(spark, [(0.0, 1.0), (1.0, 1.0), (3.0, 1.0)])
    assert_both_reject(
        model,
        unseen,
        tmp_path,
        spark_rows(unseen),
        spark_says="Unseen value: 3.0",
        column="a",
        row=2,
        stage="OneHotEncoder",
    )
    negative = ohe_df(spark, [(0.0, -1.0)])
    assert_both_reject(
        model,
        negative,
        tmp_path,
        spark_rows(negative),
        spark_says="Negative value",
        column="b",
        row=0,
        stage="OneHotEncoder",
    )


def test_one_hot_null_input_gives_null_vector_like_spark(spark, tmp_path):
    from pyspark.ml.feature import OneHotEncoder

    model = OneHotEncoder(inputCols=["a", "b"], outputCols=["av", "bv"]).fit(ohe_df(spark, OHE_TRAIN))
    rows = [(0.0, None), (None, 2.0), (1.0, 1.0)]
    pipeline = save_and_load(model, tmp_path, "ohe_nulls")
    assert_rows_match(pipeline, model, ohe_df(spark, rows), spark_rows(ohe_df(spark, rows)))
    # Above 8 rows transform_rows runs the columnar code.
    assert_rows_match(pipeline, model, ohe_df(spark, rows * 4), spark_rows(ohe_df(spark, rows * 4)))


def test_indexer_then_encoder_pipeline_matches_spark(spark, tmp_path):
    """The tabular benchmark's front: StringIndexer (keep) -> OneHotEncoder (keep)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer

    model = Pipeline(
        stages=[
            StringIndexer(inputCols=["color", "n"], outputCols=["ci", "ni"], handleInvalid="keep"),
            OneHotEncoder(inputCols=["ci", "ni"], outputCols=["cv", "nv"], handleInvalid="keep"),
        ]
    ).fit(indexer_df(spark, NAMED_TRAIN))
    rows = [r for r in SCORE if r[0] is not None] + [(None, 1.0, 2)]
    assert_parity(model, indexer_df(spark, rows), tmp_path)
    assert_parity(model, indexer_df(spark, rows * 3), tmp_path)


# --- VectorIndexerModel ------------------------------------------------------------------------------


def vec_df(spark: Any, vectors: list[Any]) -> Any:
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import StructField, StructType

    return spark.createDataFrame([(v,) for v in vectors], StructType([StructField("v", VectorUDT())]))


def vi_train() -> list[Any]:
    from pyspark.ml.linalg import Vectors

    # f0: {0, 1, 2} categorical; f1: {1, 2} categorical without 0.0; f2: continuous; f3: {-1, 5}.
    return [
        Vectors.dense([0.0, 1.0, 0.5, -1.0]),
        Vectors.dense([1.0, 2.0, 1.5, 5.0]),
        Vectors.sparse(4, [0, 1, 2], [2.0, 1.0, 2.5]),
        Vectors.dense([2.0, 2.0, 3.5, 5.0]),
        Vectors.dense([0.0, 1.0, 4.5, -1.0]),
    ]


def vi_score() -> list[Any]:
    from pyspark.ml.linalg import Vectors

    return [
        Vectors.dense([2.0, 1.0, 9.0, 5.0]),
        Vectors.sparse(4, [0, 2], [1.0, 7.0]),  # implicit f1 = 0 stays 0 though 0.0 is unseen for f1
        Vectors.sparse(4, [1, 3], [2.0, -1.0]),
        Vectors.dense([1.0, 2.0, 0.0, -1.0]),
        Vectors.dense([3.0, 1.0, 1.0, 5.0]),  # f0 = 3.0 unseen
        Vectors.dense([0.0, 0.0, 1.0, 5.0]),  # dense f1 = 0.0 unseen
        Vectors.sparse(4, [0], [NAN]),  # NaN is never a category
        Vectors.sparse(4, [], []),
    ]


@pytest.mark.parametrize("mode", ["keep", "skip"])
def test_vector_indexer_dense_and_sparse_match_spark(spark, tmp_path, mode):
    from pyspark.ml.feature import VectorIndexer

    model = VectorIndexer(inputCol="v", outputCol="vi", maxCategories=3, handleInvalid=mode).fit(
        vec_df(spark, vi_train())
    )
    assert sorted(model.categoryMaps) == [0, 1, 3]
    assert_parity(model, vec_df(spark, vi_score()), tmp_path)
    assert_parity(model, vec_df(spark, vi_score() * 2), tmp_path)


def test_vector_indexer_error_mode_matches_spark_and_rejects_unseen(spark, tmp_path):
    from pyspark.ml.feature import VectorIndexer

    model = VectorIndexer(inputCol="v", outputCol="vi", maxCategories=3).fit(vec_df(spark, vi_train()))
    scored = vi_score()
    valid = [scored[i] for i in (0, 1, 2, 3, 7)]
    assert_parity(model, vec_df(spark, valid), tmp_path)
    assert_parity(model, vec_df(spark, valid * 2), tmp_path)
    bad = vec_df(spark, [scored[0], scored[5]])
    assert_both_reject(
        model, bad, tmp_path, spark_rows(bad), spark_says="invalid value", column="v", row=1, stage="VectorIndexer"
    )


# --- contracts ---------------------------------------------------------------------------------------


def test_categorical_stage_contracts(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer

    model = Pipeline(
        stages=[
            StringIndexer(inputCols=["color", "n"], outputCols=["ci", "ni"], handleInvalid="keep"),
            OneHotEncoder(inputCols=["ci", "ni"], outputCols=["cv", "nv"], dropLast=False),
        ]
    ).fit(indexer_df(spark, NAMED_TRAIN))
    pipeline = save_and_load(model, tmp_path, "contracts")
    indexer, encoder = pipeline.stages
    # Spark skips an absent indexer input, so the stage alone does not require it ...
    assert indexer.input_fields() == [
        Field("color", "numeric", True, required=False),
        Field("n", "numeric", True, required=False),
    ]
    assert indexer.output_fields() == [Field("ci", "double", False), Field("ni", "double", False)]
    assert encoder.input_fields() == [Field("ci", "double", True), Field("ni", "double", True)]
    assert encoder.output_fields() == [Field("cv", "vector", True), Field("nv", "vector", True)]
    # ... but the encoder needs its outputs, so the pipeline does.
    assert [(f.name, f.required) for f in pipeline.input_schema] == [("color", True), ("n", True)]
    assert [f.name for f in pipeline.output_schema] == ["ci", "ni", "cv", "nv"]
    # Under handleInvalid='error' a null is refused, so the contract says non-nullable.
    strict = save_and_load(fit_indexer(spark, "frequencyDesc"), tmp_path, "strict")
    assert all(not f.nullable for f in strict.input_schema)


@pytest.mark.parametrize("target", ["binary", "continuous"])
def test_target_encoder(spark, tmp_path, target):
    from pyspark.ml.feature import TargetEncoder

    from .model_parity import assert_parity_both_paths

    train = [
        (float(i % 3), float(i % 4) if i % 5 else None, float(i % 2) if target == "binary" else i * 0.5)
        for i in range(20)
    ]
    df = spark.createDataFrame(train, "a double, b double, y double")
    encoder = TargetEncoder(inputCols=["a", "b"], outputCols=["a_te", "b_te"], labelCol="y", targetType=target)
    model = encoder.setSmoothing(1.5).setHandleInvalid("keep").fit(df)
    score = [(0.0, 1.0), (2.0, None), (7.0, 3.0), (1.0, 9.0), (None, 0.0)] * 2  # unseen and null values
    assert_parity_both_paths(model, spark.createDataFrame(score, "a double, b double"), tmp_path)
