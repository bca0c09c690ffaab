"""The ``train`` job: load data, fit (spec pipeline or registered function), evaluate, certify, publish.

Phases and their share of the job's progress: loading data 0-10 %, fitting 10-70 %,
evaluating 70-80 %, certifying 80-90 %, publishing 90-100 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .certificate import Certificate, certify
from .data import load_data
from .errors import JobError, SpecError
from .evaluation import FitResult, build_param_grid, fit_and_evaluate, make_evaluator, split_holdout
from .functions import FunctionResult, get_function
from .job import JobOutcome, RunningJob
from .publishing import build_manifest, publish_model
from .spec import TrainSpec, parse_train_spec
from .stage_classes import build_pipeline

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def run_training(runner: RunningJob, job_dir: Path) -> JobOutcome:
    """Run a ``train`` job to its PUBLISHED outcome (errors propagate to the runner as FAILED)."""
    ctx, phases = runner.ctx, runner.phases
    phases.name = "validating the spec"
    spec = parse_train_spec(runner.request.spec())

    phases.enter("loading data", 0.0, 0.1)
    data = (
        load_data(
            ctx.spark,
            spec.data,
            ctx.settings.data_roots,
            kafka=ctx.kafka,
            topic_max_records=ctx.settings.topic_max_records,
        )
        if spec.data is not None
        else None
    )
    runner.check_cancelled()

    phases.enter("fitting", 0.1, 0.7)
    if spec.function is not None:
        fitted, sample = _fit_function(runner, spec, data)
    else:
        assert data is not None  # parse_train_spec requires data for pipeline jobs
        fitted, sample = _fit_pipeline(runner, spec, data)
    runner.check_cancelled()
    if spec.evaluation is not None:
        phases.milestone("EVALUATED", _describe_metrics(fitted.metrics, spec.evaluation.metric), 0.8, fitted.metrics)

    phases.enter("certifying", 0.8, 0.9)
    model_dir = job_dir / "model"
    fitted.model.write().overwrite().save(str(model_dir))
    certificate = _certify(runner, fitted, model_dir, sample)
    runner.check_cancelled()
    phases.milestone("CERTIFIED", _describe_certificate(certificate), 0.9, certificate.to_dict())

    phases.enter("publishing", 0.9, 1.0)
    manifest = build_manifest(
        name=spec.model,
        job_id=runner.job_id,
        certificate=certificate,
        metrics=fitted.metrics,
        sample_rows=ctx.settings.manifest_sample_rows,
        training_time_s=runner.elapsed_s(),
    )
    runner.check_cancelled()
    version = int(publish_model(ctx.producer, ctx.kafka, manifest, model_dir)["version"])
    state = "servable" if certificate.servable else f"not servable ({certificate.reason})"
    return JobOutcome(
        "published",
        f"published {spec.model} version {version}, {state}",
        {"model": spec.model, "version": version, "servable": certificate.servable, "metrics": fitted.metrics},
    )


def _fit_pipeline(runner: RunningJob, spec: TrainSpec, data: DataFrame) -> tuple[FitResult, DataFrame]:
    pipeline = build_pipeline(spec.stages)
    stages = pipeline.getStages()
    grid = build_param_grid([(stages[a.stage_index], a.param, a.values) for a in spec.grid]) if spec.grid else None
    train, holdout = split_holdout(data, spec.evaluation)
    fitted = fit_and_evaluate(
        pipeline, train, holdout, spec.evaluation, grid, on_evaluate=lambda: runner.phases.enter("evaluating", 0.7, 0.8)
    )
    sample = holdout if holdout is not None and fitted.metrics.get("eval_rows") else train
    return fitted, sample


def _fit_function(runner: RunningJob, spec: TrainSpec, data: DataFrame | None) -> tuple[FitResult, DataFrame | None]:
    """Call the registered function; certify on the request's data, else on the sample it returned."""
    from pyspark.ml import Model, PipelineModel

    fn = get_function(spec.function or "")
    result: Any = fn(runner.ctx.spark, dict(spec.function_params))
    sample = data
    if isinstance(result, FunctionResult):
        sample = data if data is not None else result.sample
        result = result.model
    if isinstance(result, Model) and not isinstance(result, PipelineModel):
        result = PipelineModel(stages=[result])
    if not isinstance(result, PipelineModel):
        raise SpecError(
            f"training function '{spec.function}' returned {type(result).__name__}; "
            "it must return a fitted PipelineModel (or a FunctionResult holding one)",
            phase="fitting",
        )
    fitted = FitResult(model=result)
    if spec.evaluation is not None:
        if sample is None:
            raise SpecError("'evaluation' needs rows to evaluate on: give the job 'data'", phase="evaluating")
        runner.phases.enter("evaluating", 0.7, 0.8)
        rows = sample.count()
        value = make_evaluator(spec.evaluation).evaluate(result.transform(sample))
        fitted.metrics = {spec.evaluation.metric: float(value), "evaluated_on": "data", "eval_rows": rows}
    return fitted, sample


def _certify(runner: RunningJob, fitted: FitResult, model_dir: Path, sample: DataFrame | None) -> Certificate:
    settings = runner.ctx.settings
    if sample is None:
        return Certificate(
            servable=False,
            reason="no rows to certify parity on: give the job 'data' or return FunctionResult(model, sample)",
            rel_tol=settings.parity_rel_tol,
            abs_tol=settings.parity_abs_tol,
        )
    try:
        return certify(
            fitted.model,
            model_dir,
            sample,
            max_rows=settings.certify_sample_size,
            rel_tol=settings.parity_rel_tol,
            abs_tol=settings.parity_abs_tol,
        )
    except JobError:
        raise
    except Exception as exc:
        raise JobError(f"the parity check could not run: {exc}", phase="certifying") from exc


def _describe_metrics(metrics: dict[str, Any], metric: str) -> str:
    value = metrics.get(metric)
    where = metrics.get("evaluated_on", "data")
    shown = f"{value:.6g}" if isinstance(value, float) else str(value)
    return f"{metric} = {shown} on {metrics.get('eval_rows', '?')} {where} rows"


def _describe_certificate(certificate: Certificate) -> str:
    if certificate.servable:
        return (
            f"servable: sparkml_runtime matches Spark on {certificate.rows_compared} rows "
            f"(relative tolerance {certificate.rel_tol:g})"
        )
    return f"not servable: {certificate.reason}"
