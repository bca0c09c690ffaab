"""Spec validation: allow-listed stages, real params, data and evaluation shapes — no Spark, no broker."""

from __future__ import annotations

import pytest
import sparkml_runtime

from services.trainer.errors import SpecError
from services.trainer.spec import ALLOWED_STAGES, fitted_classes, parse_stages, parse_train_spec, unservable_stages

from .tutorial import PIPELINE, tutorial_spec


def test_tutorial_spec_is_valid_and_typed():
    spec = parse_train_spec(tutorial_spec())
    assert spec.model == "tutorial"
    assert [s.name for s in spec.stages] == ["Tokenizer", "HashingTF", "LogisticRegression"]
    # The param's own converter ran: maxIter is an int, regParam a float.
    assert spec.stages[2].params == {"maxIter": 10, "regParam": 0.001}
    assert isinstance(spec.stages[2].params["regParam"], float)
    assert spec.data is not None and spec.data.rows is not None and len(spec.data.rows) == 4


def test_every_stage_the_runtime_supports_is_allow_listed():
    allowed = {name for stage in ALLOWED_STAGES for name in fitted_classes(stage)}
    # Not trainable on their own: RFormula's inner helpers, and OneVsRest, whose `classifier`
    # param is an estimator a JSON spec does not express (the runtime serves it when Spark saved it).
    not_trainable = {
        "org.apache.spark.ml.feature.ColumnPruner",
        "org.apache.spark.ml.feature.VectorAttributeRewriter",
        "org.apache.spark.ml.classification.OneVsRestModel",
    }
    missing = [
        c
        for c in sparkml_runtime.supported_stages()
        if c not in allowed and not c.endswith("PipelineModel") and c not in not_trainable
    ]
    assert not missing, f"runtime stages without an allow-list entry: {missing}"


def test_unknown_stage_is_rejected_naming_it_and_suggesting_the_closest():
    bad = [*PIPELINE[:1], {"stage": "HashingTf", "params": {}}]
    with pytest.raises(
        SpecError, match=r"pipeline\[1\]: 'HashingTf' is not an allowed stage\. Did you mean 'HashingTF'\?"
    ):
        parse_stages(bad)


@pytest.mark.parametrize("stage", ["SQLTransformer", "os.system", "pyspark.ml.feature.Tokenizer", "__import__"])
def test_stages_outside_the_allow_list_are_rejected(stage):
    with pytest.raises(SpecError, match="is not an allowed stage"):
        parse_stages([{"stage": stage, "params": {}}])


def test_unknown_param_names_stage_and_param():
    bad = [{"stage": "LogisticRegression", "params": {"maxIters": 10}}]
    with pytest.raises(SpecError) as info:
        parse_stages(bad)
    message = str(info.value)
    assert "pipeline[0] (LogisticRegression): unknown param 'maxIters'" in message
    assert "did you mean 'maxIter'" in message


@pytest.mark.parametrize("value", [2**40, -(2**31) - 1])
def test_an_int_param_outside_javas_int_range_is_rejected_before_spark_sees_it(value):
    with pytest.raises(SpecError, match=r"param 'maxIter' = -?\d+ is outside Spark's int range"):
        parse_stages([{"stage": "LogisticRegression", "params": {"maxIter": value}}])


def test_a_seed_is_a_java_long_and_may_exceed_the_int_range():
    assert parse_stages([{"stage": "RandomForestClassifier", "params": {"seed": 2**40}}])[0].params == {"seed": 2**40}


def test_the_largest_java_int_is_accepted():
    assert parse_stages([{"stage": "HashingTF", "params": {"numFeatures": 2**31 - 1}}])[0].params == {
        "numFeatures": 2**31 - 1
    }


@pytest.mark.parametrize(
    "params,param",
    [
        ({"maxIter": "ten"}, "maxIter"),
        ({"maxIter": 10.5}, "maxIter"),
        ({"regParam": True}, "regParam"),
        ({"fitIntercept": "yes"}, "fitIntercept"),
        ({"family": 3}, "family"),
        ({"regParam": None}, "regParam"),
    ],
)
def test_param_of_the_wrong_type_is_rejected_naming_it(params, param):
    with pytest.raises(SpecError, match=rf"\(LogisticRegression\): param '{param}'"):
        parse_stages([{"stage": "LogisticRegression", "params": params}])


@pytest.mark.parametrize(
    "spec,fragment",
    [
        ({"model": "m"}, "exactly one of 'pipeline'"),
        (tutorial_spec(function="f"), "exactly one of 'pipeline'"),
        (tutorial_spec(code="import os"), "unknown field(s) 'code'"),
        (tutorial_spec(model="../etc"), "'model' must be"),
        (tutorial_spec(model=""), "'model' must be"),
        (tutorial_spec(pipeline=[]), "non-empty list"),
        (tutorial_spec(pipeline=[{"stage": "Tokenizer", "params": {}, "class": "x"}]), "unknown field(s) 'class'"),
        (tutorial_spec(data={"rows": []}), "non-empty list"),
        (tutorial_spec(data={"rows": [{}], "path": "/x"}), "exactly one of 'rows', 'path' or 'topic'"),
        (
            tutorial_spec(data={"path": "/x", "format": "orc"}),
            "'data.format' must be one of parquet, csv, json, libsvm",
        ),
        (tutorial_spec(data={"topic": "t", "max_records": 0}), "'data.max_records' must be a positive integer"),
        (tutorial_spec(evaluation={"metric": "auc"}), "'evaluation.metric' must be one of"),
        (tutorial_spec(evaluation={"metric": "accuracy", "holdout": 1.5}), "'evaluation.holdout' must be a fraction"),
        (tutorial_spec(evaluation={"metric": "accuracy", "grid": {"Nope.regParam": [0.1]}}), "no stage 'Nope'"),
        (
            tutorial_spec(evaluation={"metric": "accuracy", "grid": {"LogisticRegression.regParm": [0.1]}}),
            "unknown param 'regParm'",
        ),
        (tutorial_spec(evaluation={"metric": "accuracy", "grid": {"2.maxIter": ["x"]}}), "param 'maxIter'"),
    ],
)
def test_malformed_specs_say_what_is_wrong(spec, fragment):
    with pytest.raises(SpecError) as info:
        parse_train_spec(spec)
    assert fragment in str(info.value)


def test_grid_keys_resolve_to_stage_positions():
    spec = parse_train_spec(
        tutorial_spec(evaluation={"metric": "areaUnderROC", "grid": {"LogisticRegression.regParam": [0.1, 1]}})
    )
    assert len(spec.grid) == 1
    assert spec.grid[0].stage_index == 2 and spec.grid[0].values == (0.1, 1.0)


def test_function_spec_keeps_params_and_needs_no_pipeline():
    spec = parse_train_spec({"model": "m", "function": "churn", "params": {"depth": 3}})
    assert spec.function == "churn" and spec.function_params == {"depth": 3} and spec.stages == ()


# --- servable or not, told at spec time ------------------------------------------------------

LDA_PIPELINE = [
    {"stage": "CountVectorizer", "params": {"inputCol": "words", "outputCol": "features"}},
    {"stage": "LDA", "params": {"k": 2}},
]


def _lda_spec(**extra: object) -> dict[str, object]:
    return {"model": "topics", "pipeline": LDA_PIPELINE, "data": {"rows": [{"words": ["a"]}]}, **extra}


def test_the_allow_listed_stages_that_cannot_be_served_are_exactly_these():
    # Derived from the catalog's fitted classes and the runtime's registry; when the runtime
    # learns one of these, this list shrinks and the spec starts accepting it by default.
    unservable = {name for name in ALLOWED_STAGES if unservable_stages(parse_stages([{"stage": name}]))}
    assert unservable == {"ALS", "FPGrowth", "LDA"}


def test_an_unservable_pipeline_is_rejected_naming_the_stage_the_class_and_the_reason():
    with pytest.raises(SpecError) as info:
        parse_train_spec(_lda_spec())
    message = str(info.value)
    assert "would train but could not be served without Spark" in message
    assert "pipeline[1] (LDA) is saved as DistributedLDAModel:" in message
    assert "LocalLDAModel: its transform runs variational inference from a random Gamma draw" in message
    assert 'add "servable": false' in message
    assert "pipeline[0]" not in message  # CountVectorizer is servable


def test_a_stage_the_runtime_has_not_implemented_says_so():
    spec = {"model": "recs", "pipeline": [{"stage": "ALS", "params": {}}], "data": {"rows": [{"user": 1}]}}
    with pytest.raises(
        SpecError, match=r"pipeline\[0\] \(ALS\) is saved as ALSModel: no Spark-free implementation yet"
    ):
        parse_train_spec(spec)


def test_servable_false_trains_an_unservable_pipeline_for_batch_scoring():
    spec = parse_train_spec(_lda_spec(servable=False))
    assert spec.servable is False
    assert [s.name for s in spec.stages] == ["CountVectorizer", "LDA"]


def test_a_servable_pipeline_is_marked_servable_by_default():
    assert parse_train_spec(tutorial_spec()).servable is True


@pytest.mark.parametrize("value", ["false", 0, None])
def test_servable_must_be_a_boolean(value):
    with pytest.raises(SpecError, match="'servable' must be true or false"):
        parse_train_spec(_lda_spec(servable=value))


def test_grid_params_are_still_checked_when_the_pipeline_is_batch_only():
    spec = _lda_spec(servable=False, evaluation={"metric": "silhouette", "grid": {"LDA.k": [2, "x"]}})
    with pytest.raises(SpecError, match="LDA.k"):
        parse_train_spec(spec)


def test_a_regex_tokenizer_pattern_the_runtime_cannot_translate_is_refused_at_spec_time():
    stage = {"stage": "RegexTokenizer", "params": {"inputCol": "text", "outputCol": "t", "pattern": "\\p{L}+"}}
    spec = {"model": "tok", "pipeline": [stage], "data": {"rows": [{"text": "a"}]}}
    with pytest.raises(
        SpecError, match=r"pipeline\[0\] \(RegexTokenizer\) is saved as RegexTokenizer: Unicode property"
    ):
        parse_train_spec(spec)
    assert parse_train_spec({**spec, "servable": False}).servable is False


@pytest.mark.parametrize("pattern", ["\\s+", "\\bword\\b", "\\p{Punct}|\\s+"])
def test_a_translatable_regex_tokenizer_pattern_passes(pattern):
    stage = {"stage": "RegexTokenizer", "params": {"inputCol": "text", "outputCol": "t", "pattern": pattern}}
    assert parse_train_spec({"model": "tok", "pipeline": [stage], "data": {"rows": [{"text": "a"}]}}).servable
