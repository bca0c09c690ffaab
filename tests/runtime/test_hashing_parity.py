"""Parity of FeatureHasher with Spark: numeric, string and boolean columns, categoricalCols,
nulls, NaN, -0.0 and zeros (Spark keeps explicit zeros), and collisions summed in column order."""

from __future__ import annotations

from typing import Any

import pytest
from sparkml_runtime import Field, InvalidInputError

from .parity import assert_parity
from .parity_extra import save_and_load

pytestmark = pytest.mark.parity

NAN = float("nan")

ROWS = [
    (1, 2.5, True, "foo", 7),
    (2, -0.0, False, "bar", None),
    (0, 0.0, None, "", -3),
    (None, NAN, True, "naïve café 東京", 2**40),
    (-5, 1e7, False, None, 0),
    (3, -1.25, True, "FOO", 1),
    (1, 2.0, False, "foo bar", 7),
    (2, 1e-4, True, "😀", 8),
]


def hasher_df(spark: Any, rows: list[tuple[Any, ...]]) -> Any:
    return spark.createDataFrame(rows, "i int, d double, b boolean, s string, l long")


@pytest.mark.parametrize(
    "num_features,categorical",
    [
        (16, None),  # small: many collisions, summed as Spark sums them
        (1 << 18, None),
        (1 << 20, ["i", "d", "l"]),  # numbers hashed as "i=1", "d=2.5", "l=1099511627776"
    ],
)
def test_feature_hasher_matches_spark(spark, tmp_path, num_features, categorical):
    from pyspark.ml.feature import FeatureHasher

    kwargs: dict[str, Any] = {"categoricalCols": categorical} if categorical else {}
    model = FeatureHasher(inputCols=["i", "d", "b", "s", "l"], outputCol="h", numFeatures=num_features, **kwargs)
    # 8 rows: the one-row path; 24 rows: the columnar path.
    assert_parity(model, hasher_df(spark, ROWS), tmp_path)
    assert_parity(model, hasher_df(spark, ROWS * 3), tmp_path)


def test_feature_hasher_contract_and_bad_values(spark, tmp_path):
    from pyspark.ml.feature import FeatureHasher

    model = FeatureHasher(inputCols=["i", "s"], outputCol="h", numFeatures=32)
    pipeline = save_and_load(model, tmp_path, "hasher_contract")
    (stage,) = pipeline.stages
    assert stage.input_fields() == [Field("i", "real_or_categorical", True), Field("s", "real_or_categorical", True)]
    assert stage.output_fields() == [Field("h", "vector", False)]
    with pytest.raises(InvalidInputError) as err:
        pipeline.transform_rows([{"i": 1, "s": "a"}, {"i": [1, 2], "s": "b"}])
    assert (err.value.column, err.value.row) == ("i", 1)
    assert err.value.stage is not None and "FeatureHasher" in err.value.stage
    with pytest.raises(InvalidInputError) as missing:
        pipeline.transform_rows([{"i": 1}])
    assert missing.value.column == "s"


def test_feature_hasher_input_schema_says_which_columns_are_categorical(spark, tmp_path):
    from pyspark.ml.feature import FeatureHasher

    model = FeatureHasher(inputCols=["i", "d", "s"], outputCol="h", categoricalCols=["i"])
    pipeline = save_and_load(model, tmp_path, "hasher_schema")
    assert [(f.name, f.type) for f in pipeline.input_schema] == [
        ("i", "categorical"),  # a number here is hashed as "i=1", not added as a value
        ("d", "real_or_categorical"),
        ("s", "real_or_categorical"),
    ]
    # What the schema says is what scoring does: "i" = 1 lands where Spark hashes "i=1".
    (row,) = pipeline.transform_rows([{"i": 1, "d": None, "s": None}])
    expected = model.transform(spark.createDataFrame([(1, None, None)], "i int, d double, s string")).head()["h"]
    assert row["h"]["indices"] == [int(j) for j in expected.indices] and row["h"]["values"] == [1.0]
