"""Parity of the vector stages with Spark: VectorAssembler (with VectorSizeHint), VectorSlicer,
Normalizer, PolynomialExpansion, ElementwiseProduct, DCT and Interaction.

Sparse vectors are sent as {"size", "indices", "values"} dicts; dense ones as lists. Every
model is compared on more than 8 rows (columnar path) and on at most 8 (one-row path).
"""

from __future__ import annotations

from typing import Any

import pytest
from sparkml_runtime import Field, InvalidInputError, UnsupportedStageError, load_pipeline

from .parity import assert_parity
from .parity_extra import assert_both_reject, assert_rows_match, save_and_load

pytestmark = pytest.mark.parity

INF = float("inf")
NAN = float("nan")


def spark_vector(v: Any) -> Any:
    """A JSON-ready vector (list or sparse dict) as a pyspark vector; None stays None."""
    from pyspark.ml.linalg import Vectors

    if v is None:
        return None
    if isinstance(v, dict):
        return Vectors.sparse(v["size"], v["indices"], v["values"])
    return Vectors.dense(v)


def make_df(spark: Any, rows: list[dict[str, Any]], types: dict[str, str]) -> Any:
    """A DataFrame of ``rows`` with columns typed as ``types`` says (double, boolean, int, vector)."""
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import BooleanType, DoubleType, IntegerType, StructField, StructType

    spark_types = {"double": DoubleType(), "boolean": BooleanType(), "int": IntegerType(), "vector": VectorUDT()}
    schema = StructType([StructField(c, spark_types[t], True) for c, t in types.items()])
    data = [tuple(spark_vector(r[c]) if t == "vector" else r[c] for c, t in types.items()) for r in rows]
    return spark.createDataFrame(data, schema)


def check(spark: Any, model: Any, tmp_path: Any, rows: list[dict[str, Any]], types: dict[str, str]) -> Any:
    """Compare on ``rows`` doubled (columnar path), then on ``rows`` (row path if <= 8); returns the pipeline."""
    big = rows * 2 if len(rows) * 2 > 8 else rows * 5
    pipeline = assert_parity(model, make_df(spark, big, types), tmp_path, rows=big)
    assert_rows_match(pipeline, model, make_df(spark, rows[:8], types), rows[:8])
    return pipeline


# --- VectorAssembler -----------------------------------------------------------------------------

ASSEMBLER_TYPES = {"x": "double", "b": "boolean", "i": "int", "v": "vector", "w": "vector"}
VALID_ROWS = [
    # 6 non-zeros in 16 → sparse output.
    {"x": 1.5, "b": True, "i": 3, "v": [0.0, 0.0, 2.0], "w": {"size": 10, "indices": [1], "values": [4.0]}},
    # all zeros → sparse, empty.
    {
        "x": 0.0,
        "b": False,
        "i": 0,
        "v": {"size": 3, "indices": [], "values": []},
        "w": {"size": 10, "indices": [], "values": []},
    },
    # mostly non-zero → dense output.
    {"x": 2.0, "b": True, "i": -4, "v": [1.0, 2.0, 3.0], "w": [float(k) for k in range(1, 11)]},
    # NaN inside a vector is assembled in every mode; a stored zero is dropped.
    {"x": -1.0, "b": False, "i": 7, "v": [NAN, 0.0, 1.0], "w": {"size": 10, "indices": [2, 5], "values": [0.0, 3.0]}},
    {"x": INF, "b": True, "i": 1, "v": {"size": 3, "indices": [0, 2], "values": [-1.0, 5.0]}, "w": [0.5] * 10},
]
NULL_X = {"x": None, "b": True, "i": 2, "v": [1.0, 0.0, 0.0], "w": {"size": 10, "indices": [9], "values": [1.0]}}
NAN_X = {"x": NAN, "b": False, "i": 0, "v": [0.0, 0.0, 0.0], "w": {"size": 10, "indices": [0], "values": [2.0]}}
NULL_V = {"x": 3.0, "b": False, "i": 5, "v": None, "w": {"size": 10, "indices": [3], "values": [-2.0]}}
NULL_I = {"x": 0.5, "b": None, "i": None, "v": [0.0, 1.0, 0.0], "w": {"size": 10, "indices": [], "values": []}}


def assembler(mode: str) -> Any:
    from pyspark.ml.feature import VectorAssembler

    return VectorAssembler(inputCols=["x", "b", "i", "v", "w"], outputCol="features", handleInvalid=mode)


def test_vector_assembler_error_mode_matches_spark(spark, tmp_path):
    pipeline = check(spark, assembler("error"), tmp_path, VALID_ROWS, ASSEMBLER_TYPES)
    out = [r["features"] for r in pipeline.transform_rows(VALID_ROWS)]
    # Spark's per-row `compressed`: both sparse and dense rows occur.
    assert isinstance(out[0], dict) and isinstance(out[1], dict) and isinstance(out[2], list)


def test_vector_assembler_compressed_boundary_matches_spark(spark, tmp_path):
    # Assembled size 8: 3 non-zeros are sparse and 5 dense under every Spark; 4 are sparse
    # under Spark <= 4.0 (1.5 * (nnz + 1) < size) and dense since 4.1 (byte sizes).
    from pyspark.ml.feature import VectorAssembler

    types = {"v": "vector", "x": "double", "y": "double", "z": "double"}
    rows = [
        {"v": {"size": 5, "indices": [0, 4], "values": [1.0, 2.0]}, "x": 3.0, "y": 0.0, "z": 0.0},
        {"v": {"size": 5, "indices": [0, 4], "values": [1.0, 2.0]}, "x": 3.0, "y": 4.0, "z": 0.0},
        {"v": [1.0, 0.0, 0.0, 0.0, 2.0], "x": 3.0, "y": 4.0, "z": 5.0},
        {"v": [0.0, 0.0, 7.0, 0.0, 0.0], "x": 0.0, "y": -1.0, "z": 0.0},
    ]
    model = VectorAssembler(inputCols=["v", "x", "y", "z"], outputCol="features")
    pipeline = check(spark, model, tmp_path, rows, types)
    out = [r["features"] for r in pipeline.transform_rows(rows)]
    assert [isinstance(o, dict) for o in out] == [True, False, False, True]


@pytest.mark.parametrize(
    "bad,column,spark_says",
    [(NULL_X, "x", "Encountered null"), (NAN_X, "x", "Encountered NaN"), (NULL_V, "v", "Encountered null")],
)
def test_vector_assembler_error_mode_refuses_null_and_nan(spark, tmp_path, bad, column, spark_says):
    rows = [VALID_ROWS[0], VALID_ROWS[2], bad, VALID_ROWS[1]]
    err = assert_both_reject(
        assembler("error"),
        make_df(spark, rows, ASSEMBLER_TYPES),
        tmp_path,
        rows,
        spark_says=spark_says,
        column=column,
        row=2,
        stage="VectorAssembler",
    )
    assert "handleInvalid" in err.message


def test_vector_assembler_skip_drops_rows_with_null_or_nan(spark, tmp_path):
    rows = [VALID_ROWS[0], NULL_X, VALID_ROWS[3], NAN_X, NULL_V, VALID_ROWS[2], NULL_I]
    check(spark, assembler("skip"), tmp_path, rows, ASSEMBLER_TYPES)


def test_vector_assembler_keep_uses_vector_size_hints(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorSizeHint

    stages = [
        VectorSizeHint(inputCol="v", size=3, handleInvalid="optimistic"),
        VectorSizeHint(inputCol="w", size=10, handleInvalid="optimistic"),
        assembler("keep"),
    ]
    rows = [VALID_ROWS[0], NULL_X, NAN_X, NULL_V, VALID_ROWS[3], NULL_I, VALID_ROWS[2]]
    model = Pipeline(stages=stages).fit(make_df(spark, rows, ASSEMBLER_TYPES))
    pipeline = check(spark, model, tmp_path, rows, ASSEMBLER_TYPES)
    va = pipeline.stages[-1]
    assert va.input_fields() == [
        Field("x", "numeric"),
        Field("b", "numeric"),
        Field("i", "numeric"),
        Field("v", "vector"),
        Field("w", "vector"),
    ]
    assert va.output_fields() == [Field("features", "vector", nullable=False)]


def test_vector_assembler_keep_without_size_hint_is_refused_like_spark(spark, tmp_path):
    rows = [VALID_ROWS[0], VALID_ROWS[2], NULL_X]
    assert_both_reject(
        assembler("keep"),
        make_df(spark, rows, ASSEMBLER_TYPES),
        tmp_path,
        rows,
        spark_says="Can not infer column lengths",
        column="v",
        row=0,
        stage="VectorAssembler",
    )


def test_vector_size_hint_error_and_skip_match_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler, VectorSizeHint

    types = {"x": "double", "v": "vector"}
    rows = [
        {"x": 1.0, "v": [1.0, 2.0, 3.0]},
        {"x": 2.0, "v": [1.0, 2.0]},
        {"x": 3.0, "v": None},
        {"x": 4.0, "v": {"size": 3, "indices": [1], "values": [7.0]}},
        {"x": 5.0, "v": {"size": 4, "indices": [1], "values": [7.0]}},
    ]

    def model(mode: str) -> Any:
        va = VectorAssembler(inputCols=["v", "x"], outputCol="features")
        return Pipeline(stages=[VectorSizeHint(inputCol="v", size=3, handleInvalid=mode), va]).fit(
            make_df(spark, rows[:1], types)
        )

    check(spark, model("skip"), tmp_path, rows, types)
    one_bad = [rows[0], rows[3], rows[4]]  # one bad row: Spark's partitions may meet two in any order
    assert_both_reject(
        model("error"),
        make_df(spark, one_bad, types),
        tmp_path,
        one_bad,
        spark_says="VectorSizeHint Expecting a vector of size 3",
        column="v",
        row=2,
        stage="VectorSizeHint",
    )


# --- VectorSlicer, Normalizer, PolynomialExpansion, ElementwiseProduct ---------------------------

F5 = {"f": "vector"}
VECTORS_5 = [
    {"f": [1.0, -2.0, 0.0, 4.0, 0.5]},
    {"f": {"size": 5, "indices": [0, 3], "values": [3.0, -1.0]}},
    {"f": {"size": 5, "indices": [], "values": []}},
    {"f": [0.0, 0.0, 0.0, 0.0, 0.0]},
    {"f": [NAN, 1.0, 2.0, 0.0, -3.0]},
    {"f": {"size": 5, "indices": [1, 2, 4], "values": [0.0, 2.5, NAN]}},
    {"f": [1e200, -1e200, 3.0, 0.0, 1e-200]},
]


def test_vector_slicer_matches_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorSlicer

    stages = [
        VectorSlicer(inputCol="f", outputCol="unsorted", indices=[3, 0, 2]),
        VectorSlicer(inputCol="f", outputCol="sorted", indices=[1, 4]),
        VectorSlicer(inputCol="f", outputCol="one", indices=[2]),
    ]
    model = Pipeline(stages=stages).fit(make_df(spark, VECTORS_5, F5))
    check(spark, model, tmp_path, VECTORS_5, F5)

    dense_rows = [{"f": [1.0, 2.0, 3.0, 4.0, 5.0]}]
    assert_both_reject(
        VectorSlicer(inputCol="f", outputCol="s", indices=[7]),
        make_df(spark, dense_rows, F5),
        tmp_path,
        dense_rows,
        spark_says="out of bounds",
        column="f",
        row=0,
        stage="VectorSlicer",
    )


NAMED_TYPES = {"x": "double", "b": "boolean", "i": "int", "y": "double", "v": "vector"}
NAMED_ROWS = [
    {"x": 1.5, "b": True, "i": 3, "y": -2.0, "v": [0.0, 7.0]},
    {"x": 0.0, "b": False, "i": 0, "y": 0.0, "v": {"size": 2, "indices": [], "values": []}},
    {"x": -1e-300, "b": True, "i": -4, "y": 1e200, "v": [1.0, 2.0]},
    {"x": -3.25, "b": False, "i": 7, "y": 0.5, "v": {"size": 2, "indices": [1], "values": [9.0]}},
    {"x": 2.0, "b": True, "i": 1, "y": 0.0, "v": [0.0, 0.0]},
]


def _assembler_and_slicer(**slicer: Any) -> Any:
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import VectorAssembler, VectorSlicer

    return PipelineModel(
        stages=[
            VectorAssembler(inputCols=["x", "b", "i", "y", "v"], outputCol="f"),
            VectorSlicer(inputCol="f", outputCol="s", **slicer),
        ]
    )


@pytest.mark.parametrize(
    "slicer",
    [
        {"names": ["y"]},
        {"names": ["i", "x", "b"]},  # in the order given, booleans too
        {"indices": [5], "names": ["y", "x"]},  # indices first, then names, as Spark orders them
    ],
)
def test_vector_slicer_by_names_after_an_assembler_matches_spark(spark, tmp_path, slicer):
    model = _assembler_and_slicer(**slicer)
    pipeline = check(spark, model, tmp_path, NAMED_ROWS, NAMED_TYPES)
    assert {"x", "y"} <= {f.name for f in pipeline.input_schema}


def test_vector_slicer_by_names_refuses_a_vector_where_spark_would_shift_positions(spark, tmp_path):
    model = _assembler_and_slicer(names=["y"])
    pipeline = save_and_load(model, tmp_path, "slicer_names_vector")
    row = {**NAMED_ROWS[0], "x": [1.0, 2.0]}  # Spark would name x's entries x_0, x_1: y moves to 4
    results = pipeline.transform_rows([NAMED_ROWS[0], row], errors="return")
    assert not isinstance(results[0], Exception)
    assert isinstance(results[1], InvalidInputError) and results[1].column == "x"
    with pytest.raises(InvalidInputError, match="by name"):
        pipeline.transform_rows([row] * 10)  # the columnar path


@pytest.mark.parametrize(
    ("inputs", "names", "why"),
    [
        (["x", "v"], ["v_1"], "are not columns of the VectorAssembler"),  # an entry of a vector column
        (["x", "y"], ["y"], "written by earlier stages"),  # x comes from a Binarizer: its attributes are not rebuilt
    ],
)
def test_vector_slicer_names_the_runtime_cannot_resolve_are_refused_at_load(spark, tmp_path, inputs, names, why):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import Binarizer, VectorAssembler, VectorSlicer

    stages = [VectorAssembler(inputCols=inputs, outputCol="f"), VectorSlicer(inputCol="f", outputCol="s", names=names)]
    if why.startswith("written"):
        stages.insert(0, Binarizer(inputCol="raw", outputCol="x"))
    path = tmp_path / "slicer_names"
    PipelineModel(stages=stages).write().overwrite().save(str(path))
    with pytest.raises(UnsupportedStageError, match=why) as err:
        load_pipeline(path)
    assert "VectorSlicer" in err.value.class_name


def test_vector_slicer_by_names_saved_alone_is_refused_at_load(spark, tmp_path):
    from pyspark.ml.feature import VectorSlicer

    path = tmp_path / "slicer_alone"
    VectorSlicer(inputCol="f", outputCol="s", names=["y"]).write().overwrite().save(str(path))
    with pytest.raises(UnsupportedStageError, match="VectorAssembler earlier in the same pipeline"):
        load_pipeline(path)


def test_normalizer_p_norms_match_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Normalizer

    stages = [
        Normalizer(inputCol="f", outputCol=f"p{name}", p=p)
        for name, p in [("1", 1.0), ("2", 2.0), ("3", 3.0), ("inf", INF)]
    ]
    model = Pipeline(stages=stages).fit(make_df(spark, VECTORS_5, F5))
    check(spark, model, tmp_path, VECTORS_5, F5)


def test_polynomial_expansion_term_order_matches_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import PolynomialExpansion

    types = {"f": "vector"}
    rows = [
        {"f": [2.0, 3.0, 5.0]},
        {"f": {"size": 3, "indices": [0, 2], "values": [-1.0, 4.0]}},
        {"f": [0.0, 1.5, 0.0]},
        {"f": {"size": 3, "indices": [1], "values": [0.0]}},  # a stored zero
        {"f": [INF, 0.0, 2.0]},  # Spark's loop stops at a zero multiplier: no inf * 0
        {"f": {"size": 3, "indices": [0, 2], "values": [INF, 2.0]}},
        {"f": [0.0, INF, NAN]},
        {"f": {"size": 3, "indices": [], "values": []}},
    ]
    stages = [
        PolynomialExpansion(inputCol="f", outputCol="deg2"),
        PolynomialExpansion(inputCol="f", outputCol="deg3", degree=3),
        PolynomialExpansion(inputCol="f", outputCol="deg1", degree=1),
    ]
    model = Pipeline(stages=stages).fit(make_df(spark, rows, types))
    check(spark, model, tmp_path, rows, types)


def test_elementwise_product_matches_spark(spark, tmp_path):
    from pyspark.ml.feature import ElementwiseProduct
    from pyspark.ml.linalg import Vectors

    model = ElementwiseProduct(inputCol="f", outputCol="scaled", scalingVec=Vectors.dense([2.0, 0.0, -1.0, 0.5, 1.0]))
    pipeline = check(spark, model, tmp_path, VECTORS_5, F5)
    rows = [{"f": [1.0, 2.0]}]
    with pytest.raises(InvalidInputError, match="size"):
        pipeline.transform_rows(rows)


# --- DCT -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 8, 300])  # 300 takes the FFT route
def test_dct_forward_and_inverse_match_spark(spark, tmp_path, size):
    import random

    from pyspark.ml import Pipeline
    from pyspark.ml.feature import DCT

    rnd = random.Random(size)
    rows: list[dict[str, Any]] = [
        {"f": [rnd.uniform(-10, 10) for _ in range(size)]},
        {"f": {"size": size, "indices": [size - 1], "values": [3.0]}},
        {"f": [1.0] * size},
    ]
    model = Pipeline(stages=[DCT(inputCol="f", outputCol="fwd"), DCT(inputCol="f", outputCol="inv", inverse=True)]).fit(
        make_df(spark, rows, F5)
    )
    check(spark, model, tmp_path, rows, F5)


# --- Interaction ---------------------------------------------------------------------------------


def test_interaction_numeric_and_nominal_inputs_match_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Bucketizer, Interaction, VectorAssembler

    types = {"x": "double", "y": "double", "z": "double"}
    rows = [
        {"x": -1.0, "y": 2.0, "z": 3.0},
        {"x": 0.0, "y": 0.0, "z": 1.5},
        {"x": 0.5, "y": -1.0, "z": 0.0},
        {"x": 1.0, "y": 4.0, "z": -2.0},
        {"x": 7.0, "y": 0.5, "z": 0.25},
    ]
    stages = [
        Bucketizer(inputCol="x", outputCol="xb", splits=[-INF, 0.0, 1.0, INF]),  # nominal, 3 values
        VectorAssembler(inputCols=["xb", "y"], outputCol="xv"),  # [nominal(3), numeric]
        VectorAssembler(inputCols=["y", "z"], outputCol="yz"),  # numeric attributes
        Interaction(inputCols=["xb", "y"], outputCol="i_nominal"),
        Interaction(inputCols=["xv", "yz"], outputCol="i_vectors"),
        Interaction(inputCols=["y", "z", "yz"], outputCol="i_numeric"),
    ]
    model = Pipeline(stages=stages).fit(make_df(spark, rows, types))
    pipeline = check(spark, model, tmp_path, rows, types)
    interaction = pipeline.stages[3]
    assert interaction.input_fields() == [Field("xb", "numeric", nullable=False), Field("y", "numeric", nullable=False)]
    assert interaction.output_fields() == [Field("i_nominal", "vector", nullable=False)]


def test_interaction_refuses_null_like_spark(spark, tmp_path):
    from pyspark.ml.feature import Interaction

    types = {"y": "double", "z": "double"}
    rows = [{"y": 1.0, "z": 2.0}, {"y": None, "z": 2.0}]
    assert_both_reject(
        Interaction(inputCols=["y", "z"], outputCol="yz"),
        make_df(spark, rows, types),
        tmp_path,
        rows,
        spark_says="cannot be null",
        column="y",
        row=1,
        stage="Interaction",
    )


def test_vector_stage_contracts(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import DCT, Normalizer, VectorSizeHint

    model = Pipeline(
        stages=[
            VectorSizeHint(inputCol="f", size=5),
            Normalizer(inputCol="f", outputCol="n"),
            DCT(inputCol="n", outputCol="d"),
        ]
    ).fit(make_df(spark, VECTORS_5[:1], F5))
    pipeline = save_and_load(model, tmp_path, "vector_contracts")
    hint, normalizer, dct = pipeline.stages
    assert hint.input_fields() == [Field("f", "vector", nullable=False)] and hint.output_fields() == []
    assert normalizer.input_fields() == [Field("f", "vector", nullable=False)]
    assert dct.output_fields() == [Field("d", "vector", nullable=False)]
    assert [f.name for f in pipeline.input_schema] == ["f"]
    assert [f.name for f in pipeline.output_schema] == ["n", "d"]
