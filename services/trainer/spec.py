"""Job specs: parse and validate a request completely, before Spark runs anything.

A ``train`` spec is the public API::

    {"model": "tutorial",
     "pipeline": [{"stage": "Tokenizer", "params": {"inputCol": "text", "outputCol": "words"}}, ...],
     "data": {"rows": [...]},               # or {"path": ..., "format": ...} or {"topic": ...}
     "evaluation": {"metric": "areaUnderROC", "holdout": 0.25, "seed": 7},  # optional
     "servable": false}                     # optional: train for batch scoring only (see below)

or, instead of ``pipeline``, ``"function": "<registered name>", "params": {...}``.

Servable or not is told here, before anything is queued: a pipeline stage whose fitted class
sparkml_runtime cannot load (LDA, ALS, FPGrowth, ...) makes the spec a SpecError naming the
stage and the runtime's reason, unless the spec says ``"servable": false``, i.e. the model is
trained for batch scoring with Spark only. The fitted classes come from the generated catalog,
the supported ones from the runtime's registry (``sparkml_runtime.unsupported_reason``), and
params the runtime would refuse at load (a RegexTokenizer pattern with no exact translation)
from ``sparkml_runtime.param_problem``: no list is kept by hand here.

Stage names come from :data:`ALLOWED_STAGES`, an explicit catalog of pyspark.ml stages
(no reflection, no imports named by a request). Params are checked against the class's
real params and converted like the param's own type converter would, so a wrong name or
type is rejected here with a message naming the stage and param. No pyspark is imported:
the catalog (``stage_catalog.py``) is generated from pyspark and kept in step by a test, so
the gateway validates specs completely without Spark; the trainer builds the validated
stages with ``stage_classes.build_pipeline``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparkml_runtime import param_problem, unsupported_reason

from .data import DataSpec, parse_data_spec
from .errors import SpecError
from .evaluation import EvaluationSpec, parse_evaluation
from .stage_catalog import ALLOWED_STAGES, ParamInfo

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TRAIN_FIELDS = {"model", "pipeline", "function", "params", "data", "evaluation", "description", "servable"}
_STAGE_FIELDS = {"stage", "params"}


@dataclass(frozen=True)
class StageSpec:
    """One validated pipeline stage: its allow-listed name and converted params."""

    name: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class GridAxis:
    """One validated axis of a parameter grid: a stage (by position), a param and its values."""

    stage_index: int
    param: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class TrainSpec:
    """A validated ``train`` request: either ``stages`` or a registered ``function``."""

    model: str
    stages: tuple[StageSpec, ...] = ()
    function: str | None = None
    function_params: Mapping[str, Any] = field(default_factory=dict)
    data: DataSpec | None = None
    evaluation: EvaluationSpec | None = None
    grid: tuple[GridAxis, ...] = ()
    servable: bool = True


def fitted_classes(stage_name: str) -> tuple[str, ...]:
    """The Spark classes a stage of this allow-list entry is saved as once fitted (from the catalog)."""
    return ALLOWED_STAGES[stage_name].fitted


def unservable_stages(stages: Sequence[StageSpec]) -> list[str]:
    """Why each stage that sparkml_runtime could not load after the fit would not be, one line per stage."""
    problems = []
    for index, stage in enumerate(stages):
        reasons = [(c, unsupported_reason(c) or param_problem(c, stage.params)) for c in fitted_classes(stage.name)]
        refused = [f"{c.rsplit('.', 1)[-1]}: {reason}" for c, reason in reasons if reason is not None]
        if refused:
            problems.append(f"pipeline[{index}] ({stage.name}) is saved as {'; '.join(refused)}")
    return problems


def parse_json_object(text: str, what: str) -> dict[str, Any]:
    """Decode a JSON object from a request field; anything else is a SpecError naming ``what``."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SpecError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def check_model_name(name: Any) -> str:
    """A model name usable in Kafka keys and file names; else a SpecError saying what is allowed."""
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise SpecError(
            f"'model' must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit; "
            f"got {name!r}"
        )
    return name


def parse_train_spec(raw: Mapping[str, Any]) -> TrainSpec:
    """Validate a whole ``train`` spec (shape, stages, params, data, evaluation) and return it typed."""
    if not isinstance(raw, Mapping):
        raise SpecError(f"a train spec must be a JSON object, got {type(raw).__name__}")
    _reject_unknown(raw, _TRAIN_FIELDS, "train spec")
    model = check_model_name(raw.get("model"))
    has_pipeline, has_function = "pipeline" in raw, "function" in raw
    if has_pipeline == has_function:
        raise SpecError(
            "a train spec needs exactly one of 'pipeline' (a list of stages) or 'function' (a registered name)"
        )
    servable = raw.get("servable", True)
    if not isinstance(servable, bool):
        raise SpecError(f"'servable' must be true or false, got {servable!r}")
    data = parse_data_spec(raw["data"]) if raw.get("data") is not None else None
    evaluation = parse_evaluation(raw["evaluation"]) if raw.get("evaluation") is not None else None
    if has_function:
        function = raw["function"]
        if not isinstance(function, str) or not function:
            raise SpecError(f"'function' must be the name of a registered training function, got {function!r}")
        params = raw.get("params", {})
        if not isinstance(params, Mapping):
            raise SpecError(f"'params' of a function job must be a JSON object, got {type(params).__name__}")
        if evaluation is not None and evaluation.grid:
            raise SpecError("'evaluation.grid' needs a 'pipeline'; a training function tunes its own params")
        return TrainSpec(
            model=model,
            function=function,
            function_params=dict(params),
            data=data,
            evaluation=evaluation,
            servable=servable,
        )
    if "params" in raw:
        raise SpecError("top-level 'params' belongs to function jobs; put stage params inside each pipeline stage")
    if data is None:
        raise SpecError("a pipeline job needs 'data': {'rows': [...]}, {'path': ..., 'format': ...} or {'topic': ...}")
    stages = parse_stages(raw["pipeline"])
    if servable:
        _require_servable(stages)
    grid = _resolve_grid(evaluation, stages) if evaluation is not None else ()
    return TrainSpec(model=model, stages=stages, data=data, evaluation=evaluation, grid=grid, servable=servable)


def _require_servable(stages: Sequence[StageSpec]) -> None:
    """SpecError when the fitted pipeline could not be served without Spark, naming each stage and why."""
    problems = unservable_stages(stages)
    if problems:
        raise SpecError(
            "this pipeline would train but could not be served without Spark (sparkml_runtime cannot load it): "
            + "; ".join(problems)
            + '. Remove the stage, or add "servable": false to train it for batch scoring with Spark only.'
        )


def parse_stages(raw: Any) -> tuple[StageSpec, ...]:
    """Validate the ``pipeline`` list: allow-listed stage names and their real params."""
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)) or not raw:
        raise SpecError("'pipeline' must be a non-empty list of {'stage': <name>, 'params': {...}} objects")
    stages = []
    for index, entry in enumerate(raw):
        where = f"pipeline[{index}]"
        if not isinstance(entry, Mapping):
            raise SpecError(f"{where} must be an object like {{'stage': 'Tokenizer', 'params': {{...}}}}")
        _reject_unknown(entry, _STAGE_FIELDS, where)
        name = entry.get("stage")
        if name not in ALLOWED_STAGES:
            raise SpecError(f"{where}: {_unknown_stage_message(name)}")
        params = entry.get("params", {})
        if not isinstance(params, Mapping):
            raise SpecError(f"{where} ({name}): 'params' must be an object, got {type(params).__name__}")
        converted = {key: check_param(name, key, value, where) for key, value in params.items()}
        stages.append(StageSpec(name=name, params=converted))
    return tuple(stages)


def check_param(stage_name: str, param: str, value: Any, where: str) -> Any:
    """Check that ``param`` is a real param of the stage and convert ``value`` with its type converter."""
    known = sorted(ALLOWED_STAGES[stage_name].params)
    if param not in known:
        hint = difflib.get_close_matches(param, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise SpecError(
            f"{where} ({stage_name}): unknown param '{param}'{suggestion} Params of {stage_name}: {', '.join(known)}"
        )
    spark_param = ALLOWED_STAGES[stage_name].params[param]
    if value is None:
        raise SpecError(f"{where} ({stage_name}): param '{param}' is null; leave it out to use Spark's default")
    try:
        converted = spark_param.convert(value)
    except (TypeError, ValueError) as exc:
        raise SpecError(
            f"{where} ({stage_name}): param '{param}' has an unusable value {value!r} ({exc}); "
            f"expected: {spark_param.doc}"
        ) from None
    _check_java_int(spark_param, converted, f"{where} ({stage_name}): param '{param}'")
    return converted


# Spark's int params are Java ints: a larger Python int reached the JVM and failed there with
# py4j internals in the message, after the job had started.
_JAVA_INT_MIN, _JAVA_INT_MAX = -(2**31), 2**31 - 1


def _check_java_int(spark_param: ParamInfo, value: Any, what: str) -> None:
    """SpecError when an int (or list of ints) param holds a number outside Java's int range."""
    if spark_param.name == "seed":
        return  # the one Long param (HasSeed): pyspark converts it with toInt, Spark holds 64 bits
    if spark_param.converter == "toInt":
        numbers = [value]
    elif spark_param.converter == "toListInt":
        numbers = list(value)
    else:
        return
    for number in numbers:
        if not _JAVA_INT_MIN <= number <= _JAVA_INT_MAX:
            raise SpecError(
                f"{what} = {number} is outside Spark's int range [{_JAVA_INT_MIN}, {_JAVA_INT_MAX}]; "
                f"expected: {spark_param.doc}"
            )


def _resolve_grid(evaluation: EvaluationSpec, stages: Sequence[StageSpec]) -> tuple[GridAxis, ...]:
    """Map grid keys ``"<Stage or index>.<param>"`` to stage positions, checking every value."""
    axes = []
    for key, values in evaluation.grid:
        ref, _, param = key.partition(".")
        if ref.isdigit():
            index = int(ref)
            if index >= len(stages):
                raise SpecError(f"evaluation.grid '{key}': the pipeline has only {len(stages)} stages")
        else:
            matches = [i for i, s in enumerate(stages) if s.name == ref]
            if not matches:
                names = ", ".join(s.name for s in stages)
                raise SpecError(f"evaluation.grid '{key}': no stage '{ref}' in the pipeline ({names})")
            if len(matches) > 1:
                raise SpecError(
                    f"evaluation.grid '{key}': '{ref}' appears {len(matches)} times; use its index, e.g. '{matches[0]}.{param}'"
                )
            index = matches[0]
        name = stages[index].name
        converted = tuple(check_param(name, param, v, f"evaluation.grid '{key}'") for v in values)
        axes.append(GridAxis(stage_index=index, param=param, values=converted))
    return tuple(axes)


def _unknown_stage_message(name: Any) -> str:
    if not isinstance(name, str):
        return f"'stage' must be a stage name such as 'Tokenizer', got {name!r}"
    hint = difflib.get_close_matches(name, list(ALLOWED_STAGES), n=1)
    suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
    return f"'{name}' is not an allowed stage.{suggestion} Allowed stages: {', '.join(sorted(ALLOWED_STAGES))}"


def _reject_unknown(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}"
        )
