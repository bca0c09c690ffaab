"""Parity of RFormulaModel with Spark: its inner pipeline, a string label (indexed) and a
numeric one (cast), each scored with and without the label, on both paths."""

from __future__ import annotations

import pytest

from .model_parity import assert_parity_both_paths
from .parity import spark_rows

pytestmark = pytest.mark.parity

TRAIN = [
    ("red", 1.0, 2, "yes", 3.5),
    ("green", 2.0, 3, "no", 1.0),
    ("blue", 0.5, 1, "yes", 2.0),
    ("red", -1.0, 0, "no", 0.0),
    ("green", 3.0, 5, "yes", 7.5),
    ("red", 0.0, 2, "no", 1.5),
]
SCORE = [("red", 0.25, 1), ("blue", -2.0, 4), ("green", 4.0, 0), ("red", 1.0, 2), ("blue", 0.0, 3)] * 2


@pytest.mark.parametrize(
    "formula",
    ["y ~ c + x + n", "z ~ c + x + n", "y ~ c + x:n - 1"],
    ids=["string-label", "numeric-label", "interaction"],
)
def test_rformula(spark, tmp_path, formula):
    from pyspark.ml.feature import RFormula

    train = spark.createDataFrame(TRAIN, ["c", "x", "n", "y", "z"])
    model = RFormula(formula=formula).fit(train)
    unlabelled = spark.createDataFrame(SCORE, ["c", "x", "n"])
    pipeline = assert_parity_both_paths(model, unlabelled, tmp_path)
    label = formula.split(" ")[0]
    inputs = {f.name: f for f in pipeline.input_schema}
    assert not inputs[label].required and inputs["c"].required and inputs["x"].required
    # ColumnPruner's helper columns are gone from the rows and the contract, as from Spark's output.
    spark_columns = set(model.transform(unlabelled).columns)
    rows = spark_rows(unlabelled)
    for batch in (rows[:1], rows):  # row path and columnar path
        assert set(pipeline.transform_rows(batch)[0]) == spark_columns
    assert {f.name for f in pipeline.input_schema} | {f.name for f in pipeline.output_schema} >= spark_columns
    assert not {f.name for f in pipeline.output_schema} - spark_columns - {label, "label"}
    labelled = spark.createDataFrame(
        [(c, x, n, "yes" if i % 2 else "no", float(i)) for i, (c, x, n) in enumerate(SCORE)], ["c", "x", "n", "y", "z"]
    )
    assert_parity_both_paths(model, labelled, tmp_path)
