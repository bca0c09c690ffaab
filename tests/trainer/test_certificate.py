"""The parity certificate against Spark's own transform, plus fitting and evaluation from a spec."""

from __future__ import annotations

import pytest

from services.trainer.certificate import certify
from services.trainer.data import load_data
from services.trainer.evaluation import build_param_grid, fit_and_evaluate, split_holdout
from services.trainer.spec import parse_train_spec
from services.trainer.stage_classes import build_pipeline

from .tutorial import tutorial_spec

pytestmark = [pytest.mark.spark, pytest.mark.parity]


def _fit(spark, spec_dict):
    spec = parse_train_spec(spec_dict)
    data = load_data(spark, spec.data, [])
    pipeline = build_pipeline(spec.stages)
    grid = build_param_grid([(pipeline.getStages()[a.stage_index], a.param, a.values) for a in spec.grid]) or None
    train, holdout = split_holdout(data, spec.evaluation)
    return fit_and_evaluate(pipeline, train, holdout, spec.evaluation, grid), data


def test_tutorial_model_is_certified_servable(spark, tmp_path):
    fitted, data = _fit(spark, tutorial_spec(evaluation={"metric": "areaUnderROC"}))
    fitted.model.write().save(str(tmp_path / "model"))
    cert = certify(fitted.model, tmp_path / "model", data)
    assert cert.servable, cert.reason
    assert cert.rows_compared == 4
    assert set(cert.columns) == {"words", "features", "rawPrediction", "probability", "prediction"}
    assert cert.columns["prediction"].to_dict()["exact_match_rate"] == 1.0
    assert cert.columns["words"].kind == "exact" and cert.columns["probability"].kind == "vector"
    assert cert.columns["probability"].max_rel_diff <= 1e-9
    assert [f["name"] for f in cert.input_schema] == ["text"]
    assert cert.sample_inputs[0] == {"text": "a b c d e spark"}  # manifest sample rows: inputs only
    # The metric was computed by Spark's evaluator on the training rows (no holdout asked).
    assert fitted.metrics["evaluated_on"] == "training" and 0.0 <= fitted.metrics["areaUnderROC"] <= 1.0


def test_a_model_that_differs_from_its_saved_directory_is_not_servable(spark, tmp_path):
    fitted, data = _fit(spark, tutorial_spec())
    other, _ = _fit(
        spark,
        tutorial_spec(
            pipeline=[
                *tutorial_spec()["pipeline"][:2],
                {"stage": "LogisticRegression", "params": {"maxIter": 2, "regParam": 0.5}},
            ]
        ),
    )
    other.model.write().save(str(tmp_path / "other"))
    cert = certify(fitted.model, tmp_path / "other", data)
    assert not cert.servable
    assert "differs from Spark" in (cert.reason or "")
    assert not cert.columns["rawPrediction"].to_dict()["within_tolerance"]


def test_an_unsupported_stage_makes_the_model_not_servable_with_the_reason(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import SQLTransformer

    data = spark.createDataFrame([("a b",), ("c",)], ["text"])
    model = Pipeline(stages=[SQLTransformer(statement="SELECT *, length(text) AS n FROM __THIS__")]).fit(data)
    model.write().save(str(tmp_path / "m"))
    cert = certify(model, tmp_path / "m", data)
    assert not cert.servable
    assert "SQLTransformer" in (cert.reason or "")
    assert [f["name"] for f in cert.output_schema] == ["n"]  # described from Spark instead


def test_grid_search_picks_a_candidate_and_reports_every_score(spark):
    spec = tutorial_spec(
        evaluation={"metric": "areaUnderROC", "grid": {"LogisticRegression.regParam": [0.001, 0.5]}, "trainRatio": 0.75}
    )
    fitted, _ = _fit(spark, spec)
    tuning = fitted.metrics["tuning"]
    assert [c["params"] for c in tuning["candidates"]] == [
        {"LogisticRegression.regParam": 0.001},
        {"LogisticRegression.regParam": 0.5},
    ]
    assert tuning["best_params"] in [c["params"] for c in tuning["candidates"]]
    best_reg = fitted.model.stages[-1].getRegParam()
    assert {"LogisticRegression.regParam": best_reg} == tuning["best_params"]


def test_a_holdout_is_split_off_and_the_metric_computed_on_it(spark):
    rows = [dict(r, id=i) for i, r in enumerate(tutorial_spec()["data"]["rows"] * 5)]
    spec = tutorial_spec(data={"rows": rows}, evaluation={"metric": "accuracy", "holdout": 0.4, "seed": 3})
    fitted, _ = _fit(spark, spec)
    metrics = fitted.metrics
    assert metrics["evaluated_on"] == "holdout"
    assert metrics["train_rows"] + metrics["eval_rows"] == 20 and metrics["eval_rows"] > 0
    assert 0.0 <= metrics["accuracy"] <= 1.0
