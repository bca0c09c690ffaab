"""The trainer's metrics are Spark's evaluator on the same split, and its grid search keeps the best candidate.

The data is a noisy linear relation, so a metric on the holdout differs from the same metric on
the training rows, and each regularisation of the grid scores differently. Expected values are
computed here with Spark's own ``randomSplit``, ``RegressionEvaluator`` and, for the grid,
TrainValidationSplit's own split (``rand(seed) >= trainRatio`` is the validation side).
"""

from __future__ import annotations

from typing import Any

import pytest

from services.trainer.data import load_data
from services.trainer.spec import parse_train_spec

from .test_certificate import _fit

pytestmark = [pytest.mark.spark]

ROWS = [
    {"x1": float(i % 13), "x2": float((i * 7) % 5), "label": 2.0 * (i % 13) - (i * 7) % 5 + ((i * 37) % 11 - 5) / 2.0}
    for i in range(80)
]
PIPELINE = [
    {"stage": "VectorAssembler", "params": {"inputCols": ["x1", "x2"], "outputCol": "features"}},
    {"stage": "LinearRegression", "params": {"maxIter": 20}},
]


def spec(evaluation: dict[str, Any]) -> dict[str, Any]:
    return {"model": "noisy-line", "pipeline": PIPELINE, "data": {"rows": ROWS}, "evaluation": evaluation}


def spark_metric(name: str, model: Any, frame: Any) -> float:
    from pyspark.ml.evaluation import RegressionEvaluator

    return float(RegressionEvaluator(metricName=name).evaluate(model.transform(frame)))


@pytest.mark.parametrize("metric", ["rmse", "r2"])
def test_holdout_metric_is_sparks_evaluator_on_the_same_split(spark: Any, metric: str) -> None:
    raw = spec({"metric": metric, "holdout": 0.3, "seed": 7})
    fitted, _data = _fit(spark, raw)
    data = load_data(spark, parse_train_spec(raw).data, [])
    train, holdout = data.randomSplit([0.7, 0.3], seed=7)
    assert fitted.metrics["evaluated_on"] == "holdout"
    assert (fitted.metrics["train_rows"], fitted.metrics["eval_rows"]) == (train.count(), holdout.count())
    expected = spark_metric(metric, fitted.model, holdout)
    # The split matters: on the training rows the same model scores differently.
    assert abs(spark_metric(metric, fitted.model, train) - expected) > 1e-6
    assert fitted.metrics[metric] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("metric", ["rmse", "r2"])  # smaller is better for rmse, larger for r2
def test_grid_scores_are_sparks_validation_metrics_and_the_best_candidate_is_kept(spark: Any, metric: str) -> None:
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression
    from pyspark.sql.functions import rand

    regs = [0.0, 3.0, 30.0]
    raw = spec({"metric": metric, "seed": 11, "trainRatio": 0.75, "grid": {"LinearRegression.regParam": regs}})
    fitted, _data = _fit(spark, raw)
    tuning = fitted.metrics["tuning"]
    scores = [c[metric] for c in tuning["candidates"]]
    assert [c["params"] for c in tuning["candidates"]] == [{"LinearRegression.regParam": r} for r in regs]

    # TrainValidationSplit's own split of the training rows, each candidate fitted and evaluated by Spark.
    data = load_data(spark, parse_train_spec(raw).data, [])
    marked = data.select("*", rand(11).alias("_rand"))
    train = marked.filter(marked["_rand"] < 0.75).drop("_rand")
    validation = marked.filter(marked["_rand"] >= 0.75).drop("_rand")
    expected = []
    for reg in regs:
        stages = [
            VectorAssembler(inputCols=["x1", "x2"], outputCol="features"),
            LinearRegression(maxIter=20, regParam=reg),
        ]
        expected.append(spark_metric(metric, Pipeline(stages=stages).fit(train), validation))
    assert scores == pytest.approx(expected, rel=1e-9)
    assert len(set(scores)) == len(scores), "the candidates must score differently for the choice to mean anything"

    pick = min if metric == "rmse" else max
    best = regs[scores.index(pick(scores))]
    assert tuning["best_params"] == {"LinearRegression.regParam": best}
    assert fitted.model.stages[-1].getRegParam() == best
