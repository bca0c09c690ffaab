"""Evaluation: holdout split, metric, and optional tuning over a parameter grid.

An ``evaluation`` spec::

    {"metric": "areaUnderROC",          # see METRICS
     "holdout": 0.25, "seed": 42,        # optional; without it the metric is computed on the training data
     "labelCol": "label",                # optional column overrides for the evaluator
     "grid": {"LogisticRegression.regParam": [0.01, 0.1]},   # optional; "<stage name or index>.<param>"
     "tuning": "train_validation_split" | "cross_validator", "folds": 3, "trainRatio": 0.75}

Metrics go into the manifest and the EVALUATED event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import JobError, SpecError

if TYPE_CHECKING:
    from pyspark.ml import Estimator, PipelineModel
    from pyspark.ml.evaluation import Evaluator
    from pyspark.ml.param import Params
    from pyspark.sql import DataFrame

# metric name -> evaluator family (Spark's own metric names, so users can look them up).
METRICS: dict[str, str] = {
    "areaUnderROC": "binary",
    "areaUnderPR": "binary",
    "accuracy": "multiclass",
    "f1": "multiclass",
    "weightedPrecision": "multiclass",
    "weightedRecall": "multiclass",
    "logLoss": "multiclass",
    "hammingLoss": "multiclass",
    "rmse": "regression",
    "mse": "regression",
    "mae": "regression",
    "r2": "regression",
    "var": "regression",
    "silhouette": "clustering",
}
TUNINGS = ("train_validation_split", "cross_validator")
_COLUMN_FIELDS = ("labelCol", "predictionCol", "rawPredictionCol", "probabilityCol", "featuresCol")
_FIELDS = {"metric", "holdout", "seed", "grid", "tuning", "folds", "trainRatio", *_COLUMN_FIELDS}


@dataclass(frozen=True)
class EvaluationSpec:
    """A validated evaluation request; ``grid`` keeps raw keys and values (spec.py checks them)."""

    metric: str
    holdout: float | None = None
    seed: int = 42
    columns: Mapping[str, str] = field(default_factory=dict)
    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    tuning: str = "train_validation_split"
    folds: int = 3
    train_ratio: float = 0.75


@dataclass
class FitResult:
    """The fitted model and the metrics that describe it."""

    model: PipelineModel
    metrics: dict[str, Any] = field(default_factory=dict)


def parse_evaluation(raw: Any) -> EvaluationSpec:
    """Validate the shape of an ``evaluation`` spec."""
    if not isinstance(raw, Mapping):
        raise SpecError("'evaluation' must be an object such as {'metric': 'areaUnderROC', 'holdout': 0.25}")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise SpecError(f"'evaluation': unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}")
    metric = raw.get("metric")
    if metric not in METRICS:
        raise SpecError(f"'evaluation.metric' must be one of {', '.join(METRICS)}, got {metric!r}")
    holdout = raw.get("holdout")
    if holdout is not None and (not _is_number(holdout) or not 0 < holdout < 1):
        raise SpecError(f"'evaluation.holdout' must be a fraction between 0 and 1 (exclusive), got {holdout!r}")
    seed = raw.get("seed", 42)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SpecError(f"'evaluation.seed' must be an integer, got {seed!r}")
    columns = {k: raw[k] for k in _COLUMN_FIELDS if k in raw}
    for key, value in columns.items():
        if not isinstance(value, str) or not value:
            raise SpecError(f"'evaluation.{key}' must be a column name, got {value!r}")
    tuning = raw.get("tuning", "train_validation_split")
    if tuning not in TUNINGS:
        raise SpecError(f"'evaluation.tuning' must be one of {', '.join(TUNINGS)}, got {tuning!r}")
    folds = raw.get("folds", 3)
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise SpecError(f"'evaluation.folds' must be an integer >= 2, got {folds!r}")
    train_ratio = raw.get("trainRatio", 0.75)
    if not _is_number(train_ratio) or not 0 < train_ratio < 1:
        raise SpecError(f"'evaluation.trainRatio' must be a fraction between 0 and 1, got {train_ratio!r}")
    return EvaluationSpec(
        metric=metric,
        holdout=float(holdout) if holdout is not None else None,
        seed=seed,
        columns=columns,
        grid=_parse_grid(raw.get("grid", {})),
        tuning=tuning,
        folds=folds,
        train_ratio=float(train_ratio),
    )


def _parse_grid(raw: Any) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not isinstance(raw, Mapping):
        raise SpecError("'evaluation.grid' must be an object like {'LogisticRegression.regParam': [0.01, 0.1]}")
    axes = []
    for key, values in raw.items():
        if not isinstance(key, str) or "." not in key:
            raise SpecError(f"'evaluation.grid' key {key!r} must be '<stage name or index>.<param>'")
        if not isinstance(values, list) or not values:
            raise SpecError(f"'evaluation.grid' '{key}' must be a non-empty list of values")
        axes.append((key, tuple(values)))
    return tuple(axes)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def make_evaluator(spec: EvaluationSpec) -> Evaluator:
    """The pyspark evaluator computing ``spec.metric`` with the spec's column overrides."""
    from pyspark.ml.evaluation import (
        BinaryClassificationEvaluator,
        ClusteringEvaluator,
        MulticlassClassificationEvaluator,
        RegressionEvaluator,
    )

    family = METRICS[spec.metric]
    evaluator: Evaluator
    if family == "binary":
        evaluator = BinaryClassificationEvaluator()
    elif family == "multiclass":
        evaluator = MulticlassClassificationEvaluator()
    elif family == "regression":
        evaluator = RegressionEvaluator()
    else:
        evaluator = ClusteringEvaluator()
    # Set by name: pyspark's type hints omit metrics it supports (logLoss, hammingLoss).
    evaluator.set(evaluator.getParam("metricName"), spec.metric)
    for key, value in spec.columns.items():
        if evaluator.hasParam(key):
            evaluator.set(evaluator.getParam(key), value)
    return evaluator


def split_holdout(data: DataFrame, spec: EvaluationSpec | None) -> tuple[DataFrame, DataFrame | None]:
    """Training and holdout frames (holdout None when the spec asks for none)."""
    if spec is None or spec.holdout is None:
        return data, None
    train, test = data.randomSplit([1.0 - spec.holdout, spec.holdout], seed=spec.seed)
    return train, test


def build_param_grid(axes: Sequence[tuple[Params, str, Sequence[Any]]]) -> list[Any]:
    """Spark param maps for every combination of the grid axes (stage object, param name, values)."""
    from pyspark.ml.tuning import ParamGridBuilder

    builder = ParamGridBuilder()
    for stage, param, values in axes:
        builder.addGrid(stage.getParam(param), list(values))
    return builder.build()


def fit_and_evaluate(
    estimator: Estimator,
    train: DataFrame,
    holdout: DataFrame | None,
    spec: EvaluationSpec | None,
    grid: list[Any] | None = None,
    on_evaluate: Callable[[], None] | None = None,
) -> FitResult:
    """Fit (tuning over ``grid`` when given) and compute the metric on the holdout, or on the training data.

    ``on_evaluate`` is called between fitting and evaluating, so a caller can report the phase.
    """
    from pyspark.ml import PipelineModel

    train_rows = train.count()
    if train_rows == 0:
        raise JobError("no training rows (the data is empty, or the holdout took every row)", phase="fitting")
    metrics: dict[str, Any] = {"train_rows": train_rows}
    if spec is not None and grid:
        model, tuning = _tune(estimator, train, spec, grid)
        metrics["tuning"] = tuning
    else:
        model = estimator.fit(train)
    if not isinstance(model, PipelineModel):
        model = PipelineModel(stages=[model])
    if spec is None:
        return FitResult(model=model, metrics=metrics)
    if on_evaluate is not None:
        on_evaluate()
    evaluated = holdout if holdout is not None else train
    eval_rows = evaluated.count()
    if eval_rows == 0:
        raise JobError(
            f"the holdout of {spec.holdout} left no rows to evaluate on; add data or raise 'evaluation.holdout'",
            phase="evaluating",
        )
    value = make_evaluator(spec).evaluate(model.transform(evaluated))
    metrics.update({spec.metric: float(value), "evaluated_on": "holdout" if holdout is not None else "training"})
    metrics["eval_rows"] = eval_rows
    return FitResult(model=model, metrics=metrics)


def _tune(estimator: Estimator, train: DataFrame, spec: EvaluationSpec, grid: list[Any]) -> tuple[Any, dict[str, Any]]:
    from pyspark.ml.tuning import CrossValidator, TrainValidationSplit

    evaluator = make_evaluator(spec)
    tuner: Any
    if spec.tuning == "cross_validator":
        tuner = CrossValidator(
            estimator=estimator, estimatorParamMaps=grid, evaluator=evaluator, numFolds=spec.folds, seed=spec.seed
        )
    else:
        tuner = TrainValidationSplit(
            estimator=estimator,
            estimatorParamMaps=grid,
            evaluator=evaluator,
            trainRatio=spec.train_ratio,
            seed=spec.seed,
        )
    fitted = tuner.fit(train)
    scores = list(fitted.avgMetrics if spec.tuning == "cross_validator" else fitted.validationMetrics)
    best = max(range(len(scores)), key=lambda i: scores[i] if evaluator.isLargerBetter() else -scores[i])
    described = [{p.parent.split("_")[0] + "." + p.name: _plain(v) for p, v in m.items()} for m in grid]
    tuning = {
        "method": spec.tuning,
        "candidates": [{"params": d, spec.metric: float(s)} for d, s in zip(described, scores, strict=True)],
        "best_params": described[best],
    }
    return fitted.bestModel, tuning


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
