"""Parity of the numeric stages with Spark: Bucketizer (and what QuantileDiscretizer fits),
Binarizer, ImputerModel, the four scalers and PCAModel.

Inputs cover what breaks naive ports: values exactly on split edges, -0.0 against a 0.0
split, ±inf splits and values, NaN and null under each handleInvalid mode, dense and sparse
vectors (sent as {"size", "indices", "values"} dicts), and zero-variance features.
"""

from __future__ import annotations

from typing import Any

import pytest
from sparkml_runtime import Field, InvalidInputError

from .parity import assert_parity
from .parity_extra import assert_both_reject, assert_rows_match, save_and_load

pytestmark = pytest.mark.parity

INF = float("inf")
NAN = float("nan")


def doubles_df(spark: Any, columns: dict[str, list[Any]]) -> Any:
    """A DataFrame of nullable double columns (so None stays null and NaN stays NaN)."""
    from pyspark.sql.types import DoubleType, StructField, StructType

    schema = StructType([StructField(c, DoubleType(), True) for c in columns])
    n = len(next(iter(columns.values())))
    return spark.createDataFrame([tuple(columns[c][i] for c in columns) for i in range(n)], schema)


def as_rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The same columns as the rows a caller sends."""
    n = len(next(iter(columns.values())))
    return [{c: columns[c][i] for c in columns} for i in range(n)]


def take(columns: dict[str, list[Any]], rows: list[int]) -> dict[str, list[Any]]:
    """Some rows of a dict of columns."""
    return {c: [v[i] for i in rows] for c, v in columns.items()}


def vectors_df(spark: Any, rows: list[dict[str, Any]], column: str = "f") -> Any:
    """A one-column vector DataFrame from JSON-ready rows (lists are dense, dicts sparse)."""
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import StructField, StructType

    def to_spark(v: Any) -> Any:
        if isinstance(v, dict):
            return Vectors.sparse(v["size"], v["indices"], v["values"])
        return Vectors.dense(v)

    schema = StructType([StructField(column, VectorUDT(), True)])
    return spark.createDataFrame([(to_spark(r[column]),) for r in rows], schema)


# --- Bucketizer ----------------------------------------------------------------------------------

EDGE_VALUES = {
    # -inf/inf splits around edges -0.5, 0.0, 0.5; -0.0 sits below the 0.0 split in Java's order.
    "x": [-INF, -1.0, -0.5, -0.25, -0.0, 0.0, 0.25, 0.5, 0.75, INF, NAN, None],
    # Bounded splits: 2.0 falls in the last (right-inclusive) bucket.
    "y": [0.0, 0.5, 1.0, 1.5, 2.0, 0.0, 1.999, 1.0, 0.25, NAN, 2.0, None],
}


@pytest.mark.parametrize("mode", ["keep", "skip"])
def test_bucketizer_edges_nan_and_null_match_spark(spark, tmp_path, mode):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Bucketizer

    stages = [
        Bucketizer(splits=[-INF, -0.5, 0.0, 0.5, INF], inputCol="x", outputCol="bx", handleInvalid=mode),
        Bucketizer(splits=[0.0, 1.0, 2.0], inputCol="y", outputCol="by", handleInvalid=mode),
    ]
    model = Pipeline(stages=stages).fit(doubles_df(spark, EDGE_VALUES))
    # 12 rows go through the columnar path of transform_rows, 6 through the row path.
    pipeline = assert_parity(model, doubles_df(spark, EDGE_VALUES), tmp_path, rows=as_rows(EDGE_VALUES))
    small = take(EDGE_VALUES, [4, 5, 9, 10, 11, 2])
    assert_rows_match(pipeline, model, doubles_df(spark, small), as_rows(small))
    assert [s.name.split("(")[0] for s in pipeline.stages] == ["Bucketizer", "Bucketizer"]


def test_bucketizer_multi_column_skip_matches_spark(spark, tmp_path):
    from pyspark.ml.feature import Bucketizer

    cols = {
        "a": [-1.0, 0.0, -0.0, 5.0, NAN, 2.0, -3.0, 0.5, 1.0, INF, -INF],
        "b": [0.0, 10.0, 20.0, 30.0, 15.0, None, 29.5, 0.0, 10.0, 5.0, 25.0],
    }
    model = Bucketizer(
        inputCols=["a", "b"],
        outputCols=["ba", "bb"],
        splitsArray=[[-INF, 0.0, INF], [0.0, 10.0, 20.0, 30.0]],
        handleInvalid="skip",
    )
    pipeline = assert_parity(model, doubles_df(spark, cols), tmp_path, rows=as_rows(cols))
    small = take(cols, [0, 4, 5, 3])
    assert_rows_match(pipeline, model, doubles_df(spark, small), as_rows(small))


def test_bucketizer_out_of_range_is_refused_in_every_mode(spark, tmp_path):
    from pyspark.ml.feature import Bucketizer

    cols = {"y": [0.5, 2.5, 1.0]}
    for mode in ("keep", "skip", "error"):
        model = Bucketizer(splits=[0.0, 1.0, 2.0], inputCol="y", outputCol="by", handleInvalid=mode)
        err = assert_both_reject(
            model,
            doubles_df(spark, cols),
            tmp_path,
            as_rows(cols),
            spark_says="out of Bucketizer bounds",
            column="y",
            row=1,
            stage="Bucketizer",
        )
        assert "2.5" in err.message


def test_bucketizer_nan_is_refused_under_error(spark, tmp_path):
    from pyspark.ml.feature import Bucketizer

    cols = {"x": [0.5, -1.0, NAN, 3.0]}
    model = Bucketizer(splits=[-INF, 0.0, INF], inputCol="x", outputCol="bx")  # default 'error'
    assert_both_reject(
        model,
        doubles_df(spark, cols),
        tmp_path,
        as_rows(cols),
        spark_says="Bucketizer encountered NaN value",
        column="x",
        row=2,
        stage="Bucketizer",
    )


def test_quantile_discretizer_saves_a_bucketizer_that_matches_spark(spark, tmp_path):
    from pyspark.ml.feature import Bucketizer, QuantileDiscretizer

    train = doubles_df(spark, {"x": [float(i) for i in range(20)]})
    model = QuantileDiscretizer(numBuckets=4, inputCol="x", outputCol="q", handleInvalid="keep").fit(train)
    assert isinstance(model, Bucketizer)
    splits = model.getSplits()
    assert splits[0] == -INF and splits[-1] == INF
    # Every interior split exactly, values just around them, far values, NaN and null.
    values = [*splits[1:-1], *(s - 1e-9 for s in splits[1:-1]), -1e300, 1e300, NAN, None]
    cols = {"x": values}
    pipeline = assert_parity(model, doubles_df(spark, cols), tmp_path, rows=as_rows(cols))
    assert type(pipeline.stages[0]).__name__ == "Bucketizer"
    small = take(cols, [0, 1, len(values) - 2, len(values) - 1])
    assert_rows_match(pipeline, model, doubles_df(spark, small), as_rows(small))


# --- Binarizer -----------------------------------------------------------------------------------


def test_binarizer_doubles_and_vectors_match_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Binarizer
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import DoubleType, StructField, StructType

    dense = [0.5, 0.6, -1.0, NAN, 0.0, 2.0]
    # "u" has size 5: two ones are sparse under Spark <= 4.0's `compressed` and dense since 4.1.
    rows = [
        {"d": 0.5, "v": dense, "u": [1.0, 1.0, 0.0, 0.0, 0.0]},
        {"d": 0.6, "v": {"size": 6, "indices": [0, 3], "values": [0.7, NAN]}, "u": [1.0, 0.0, 0.0, 0.0, 0.0]},
        {"d": -1.0, "v": {"size": 6, "indices": [1, 2, 4], "values": [-0.6, -0.5, 3.0]}, "u": [0.0] * 5},
        {"d": NAN, "v": [0.0] * 6, "u": [2.0, 2.0, 2.0, 0.0, 0.0]},
        {"d": None, "v": {"size": 6, "indices": [], "values": []}, "u": [1.0, 1.0, 0.0, 0.0, 0.0]},
        {"d": -0.5, "v": [1.0, 1.0, 1.0, -1.0, 1.0, 1.0], "u": [0.0, 0.0, 0.0, 9.0, 9.0]},
    ]

    def to_spark(v: Any) -> Any:
        return Vectors.sparse(v["size"], v["indices"], v["values"]) if isinstance(v, dict) else Vectors.dense(v)

    schema = StructType(
        [StructField("d", DoubleType(), True), StructField("v", VectorUDT(), True), StructField("u", VectorUDT(), True)]
    )
    df = spark.createDataFrame([(r["d"], to_spark(r["v"]), to_spark(r["u"])) for r in rows], schema)
    stages = [
        Binarizer(inputCols=["d", "v"], outputCols=["d_bin", "v_bin"], thresholds=[0.5, 0.5]),
        Binarizer(inputCol="v", outputCol="v_neg", threshold=-0.5),  # starts from ones: NaN stays 1.0
        Binarizer(inputCol="d", outputCol="d_neg", threshold=-0.5),
        Binarizer(inputCols=["d"], outputCols=["d_default"]),  # threshold's default 0.0 for all columns
        Binarizer(inputCol="u", outputCol="u_bin", threshold=0.5),
    ]
    model = Pipeline(stages=stages).fit(df)
    big = rows * 2
    df_big = spark.createDataFrame([(r["d"], to_spark(r["v"]), to_spark(r["u"])) for r in big], schema)
    pipeline = assert_parity(model, df_big, tmp_path, rows=big)
    assert_rows_match(pipeline, model, df, rows)


# --- ImputerModel --------------------------------------------------------------------------------

IMPUTER_TRAIN = {
    "a": [1.0, 2.0, NAN, None, 4.0, 10.0, 3.0],
    "b": [0.5, None, 0.5, 7.0, NAN, -2.0, 1.5],
    "c": [-1.0, 2.0, 2.0, 3.0, NAN, 3.0, -1.0],
}
IMPUTER_TEST = {
    "a": [NAN, None, 5.0, -1.0, 0.0, NAN, 2.5, None, 1.0, -0.0],
    "b": [None, NAN, 1.0, -1.0, 0.5, 2.0, None, 3.0, NAN, 4.0],
    "c": [-1.0, None, NAN, 2.0, -1.0, 5.0, 0.0, -1.0, 1.0, 3.0],
}


@pytest.mark.parametrize(
    "strategy,missing,inputs",
    [("mean", None, ["a", "b"]), ("median", None, ["a", "b", "c"]), ("mode", -1.0, ["c", "a"])],
)
def test_imputer_strategies_and_missing_values_match_spark(spark, tmp_path, strategy, missing, inputs):
    from pyspark.ml.feature import Imputer

    imputer = Imputer(strategy=strategy, inputCols=inputs, outputCols=[f"{c}_imp" for c in inputs])
    if missing is not None:
        imputer.setMissingValue(missing)  # then NaN is an ordinary value, kept as it is
    model = imputer.fit(doubles_df(spark, IMPUTER_TRAIN))
    pipeline = assert_parity(model, doubles_df(spark, IMPUTER_TEST), tmp_path, rows=as_rows(IMPUTER_TEST))
    small = take(IMPUTER_TEST, [0, 1, 2, 4])
    assert_rows_match(pipeline, model, doubles_df(spark, small), as_rows(small))


def test_imputer_single_column_on_an_integer_column(spark, tmp_path):
    from pyspark.ml.feature import Imputer
    from pyspark.sql.types import IntegerType, StructField, StructType

    schema = StructType([StructField("n", IntegerType(), True)])
    train = spark.createDataFrame([(1,), (2,), (2,), (None,), (0,), (7,)], schema)
    model = Imputer(strategy="mode", inputCol="n", outputCol="n_imp", missingValue=0.0).fit(train)
    test = spark.createDataFrame([(None,), (0,), (5,), (2,)], schema)
    # Spark keeps the integer type; with an integral surrogate the values agree exactly.
    assert_parity(model, test, tmp_path, rows=[{"n": None}, {"n": 0}, {"n": 5}, {"n": 2}])


# --- scalers and PCA -----------------------------------------------------------------------------

# Feature 2 is constant and feature 3 always zero: zero variance, zero range, zero max-abs.
SCALER_TRAIN = [
    [1.0, 0.0, 5.0, 0.0],
    [2.0, -1.0, 5.0, 0.0],
    [3.0, 4.0, 5.0, 0.0],
    [4.0, 2.0, 5.0, 0.0],
    [0.0, 1.0, 5.0, 0.0],
]
SCALER_TEST = [
    {"f": [1.5, 2.0, 5.0, 0.0]},
    {"f": {"size": 4, "indices": [0, 2], "values": [3.0, 5.0]}},
    {"f": {"size": 4, "indices": [1, 3], "values": [-2.0, 7.0]}},
    {"f": {"size": 4, "indices": [], "values": []}},
    {"f": [NAN, -3.0, 6.0, 1.0]},
    {"f": [0.0, 0.0, 0.0, 0.0]},
    {"f": {"size": 4, "indices": [0, 1, 2, 3], "values": [-1.0, 8.0, 4.0, -2.0]}},
    {"f": [10.0, -10.0, 5.0, 0.5]},
]


def test_scalers_match_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    train = vectors_df(spark, [{"f": v} for v in SCALER_TRAIN])
    stages = [
        StandardScaler(inputCol="f", outputCol="ss_std"),
        StandardScaler(inputCol="f", outputCol="ss_both", withMean=True, withStd=True),
        StandardScaler(inputCol="f", outputCol="ss_mean", withMean=True, withStd=False),
        StandardScaler(inputCol="f", outputCol="ss_none", withMean=False, withStd=False),
        MinMaxScaler(inputCol="f", outputCol="mm"),
        MinMaxScaler(inputCol="f", outputCol="mm_wide", min=-1.0, max=3.0),
        MaxAbsScaler(inputCol="f", outputCol="ma"),
        RobustScaler(inputCol="f", outputCol="rs"),
        RobustScaler(inputCol="f", outputCol="rs_both", withCentering=True, lower=0.1, upper=0.9),
    ]
    model = Pipeline(stages=stages).fit(train)
    pipeline = assert_parity(model, vectors_df(spark, SCALER_TEST * 2), tmp_path, rows=SCALER_TEST * 2)
    assert_rows_match(pipeline, model, vectors_df(spark, SCALER_TEST), SCALER_TEST)

    out = pipeline.transform_rows([SCALER_TEST[1]])[0]
    # The constant feature's 1/std is 0, and Spark keeps its index stored in sparse output.
    assert out["ss_std"] == {"size": 4, "indices": [0, 2], "values": [pytest.approx(3.0 / 1.5811388300841898), 0.0]}
    assert out["mm"][2] == 0.5  # constant feature → (min + max) / 2

    with pytest.raises(InvalidInputError) as err:
        pipeline.transform_rows([{"f": [1.0, 2.0]}])
    assert err.value.column == "f" and err.value.row == 0 and "StandardScalerModel" in (err.value.stage or "")


def test_pca_matches_spark(spark, tmp_path):
    from pyspark.ml.feature import PCA

    train = vectors_df(
        spark,
        [{"f": v} for v in [[1.0, 2.0, 0.0, 3.0], [2.0, 1.0, 1.0, 0.0], [0.0, 4.0, 2.0, 1.0], [5.0, 0.0, 1.0, 2.0]]],
    )
    model = PCA(k=2, inputCol="f", outputCol="pca").fit(train)
    rows = [r for r in SCALER_TEST if not (isinstance(r["f"], list) and any(x != x for x in r["f"]))]
    pipeline = assert_parity(model, vectors_df(spark, rows * 2), tmp_path, rows=rows * 2)
    assert_rows_match(pipeline, model, vectors_df(spark, rows), rows)


def test_a_batch_emptied_by_skip_flows_through_later_stages(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import PCA, Bucketizer, MinMaxScaler, StandardScaler, VectorAssembler

    train = doubles_df(spark, {"x": [0.5, 1.5, 2.5, 0.1], "y": [1.0, 2.0, 0.0, 3.0]})
    model = Pipeline(
        stages=[
            Bucketizer(splits=[-INF, 1.0, INF], inputCol="x", outputCol="xb", handleInvalid="skip"),
            VectorAssembler(inputCols=["xb", "y", "x"], outputCol="f"),
            StandardScaler(inputCol="f", outputCol="s", withMean=True),
            MinMaxScaler(inputCol="f", outputCol="m"),
            PCA(k=2, inputCol="f", outputCol="p"),
        ]
    ).fit(train)
    cols = {"x": [NAN, None, NAN], "y": [1.0, 2.0, 3.0]}
    pipeline = assert_parity(model, doubles_df(spark, cols), tmp_path, rows=as_rows(cols))
    assert pipeline.transform_rows(as_rows(cols) * 4) == []


def test_numeric_stage_contracts(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Bucketizer, Imputer, StandardScaler, VectorAssembler

    df = doubles_df(spark, {"x": [1.0, 2.0, None], "y": [0.0, 1.0, 3.0]})
    model = Pipeline(
        stages=[
            Imputer(inputCols=["x"], outputCols=["x_imp"]),
            Bucketizer(splits=[-INF, 1.5, INF], inputCol="x_imp", outputCol="x_bucket"),
            VectorAssembler(inputCols=["x_imp", "y"], outputCol="xy"),
            StandardScaler(inputCol="xy", outputCol="xy_scaled"),
        ]
    ).fit(df)
    pipeline = save_and_load(model, tmp_path, "contracts")
    imputer, bucketizer, assembler, scaler = pipeline.stages
    assert imputer.input_fields() == [Field("x", "numeric")]
    assert imputer.output_fields() == [Field("x_imp", "double", nullable=False)]
    assert bucketizer.input_fields() == [Field("x_imp", "double")]
    assert bucketizer.output_fields() == [Field("x_bucket", "double")]
    assert scaler.input_fields() == [Field("xy", "vector", nullable=False)]
    assert scaler.output_fields() == [Field("xy_scaled", "vector", nullable=False)]
    assert [f.name for f in pipeline.input_schema] == ["x", "y"]
    assert [f.name for f in pipeline.output_schema] == ["x_imp", "x_bucket", "xy", "xy_scaled"]
