"""/v1 models: list, describe, move aliases, predict."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from spindrift.kafka.produce import DeliveryFailed
from spindrift.registry.publisher import PublishError, set_alias
from spindrift.registry.state import ModelVersionInfo, RegistryError, RegistryState, check_alias

from ..backend import Backend
from ..errors import InvalidInput, KafkaUnavailable, NotFound, PayloadTooLarge
from ..schemas import (
    AliasRequest,
    AliasResponse,
    ModelDetail,
    ModelList,
    ModelSummary,
    ModelVersionBody,
    PredictRequest,
    PredictResponse,
)
from ..scoring import score
from ..security import require
from .deps import BackendDep, SettingsDep

router = APIRouter(prefix="/v1/models", tags=["models"])

ModelName = Annotated[str, Path(description="Model name.", max_length=128)]

_PARITY_SUMMARY_KEYS = ("servable", "rows_compared", "reason", "tolerance", "max_abs_diff")


def _default_version(state: RegistryState, name: str) -> int | None:
    try:
        return state.resolve(name).version
    except RegistryError:
        return None


def _version_body(info: ModelVersionInfo, aliases: dict[str, int]) -> ModelVersionBody:
    manifest = dict(info.manifest)
    raw_parity = manifest.get("parity")
    parity: dict[str, Any] = raw_parity if isinstance(raw_parity, dict) else {}
    raw_columns = parity.get("columns")
    columns: dict[str, Any] = raw_columns if isinstance(raw_columns, dict) else {}
    summary: dict[str, Any] = {k: parity[k] for k in _PARITY_SUMMARY_KEYS if k in parity}
    if columns:
        summary["exact_match_rate"] = {
            col: stats.get("exact_match_rate") for col, stats in columns.items() if isinstance(stats, dict)
        }
    return ModelVersionBody(
        version=info.version,
        servable=info.servable,
        reason=info.reason,
        retired=info.retired,
        published_at_ms=info.published_at_ms,
        sha256=info.sha256,
        aliases=sorted(a for a, v in aliases.items() if v == info.version),
        input_schema=list(manifest.get("input_schema") or []),
        output_schema=list(manifest.get("output_schema") or []),
        metrics=dict(manifest.get("metrics") or {}),
        parity=summary,
        job_id=manifest.get("job_id"),
        spark_version=manifest.get("spark_version"),
    )


def _state(backend: Backend) -> RegistryState:
    backend.require_state()
    return backend.models.snapshot()


@router.get("", response_model=ModelList, summary="List models", dependencies=[Depends(require(None))])
def list_models(backend: BackendDep) -> ModelList:
    """Every published model with its default version and aliases."""
    state = _state(backend)
    summaries = []
    for name in state.models():
        versions = state.versions(name)
        summaries.append(
            ModelSummary(
                name=name,
                default_version=_default_version(state, name),
                latest_version=versions[-1].version,
                aliases=state.aliases(name),
                versions=len(versions),
            )
        )
    return ModelList(models=summaries)


@router.get("/{name}", response_model=ModelDetail, summary="Describe a model", dependencies=[Depends(require(None))])
def get_model(name: ModelName, backend: BackendDep) -> ModelDetail:
    """Versions (servable flag and reason, schemas, metrics, parity summary) and aliases of one model."""
    state = _state(backend)
    try:
        versions = state.versions(name)
        aliases = state.aliases(name)
    except RegistryError as exc:
        raise NotFound(str(exc)) from None
    return ModelDetail(
        name=name,
        default_version=_default_version(state, name),
        aliases=aliases,
        versions=[_version_body(info, aliases) for info in versions],
    )


@router.put(
    "/{name}/aliases/{alias}",
    response_model=AliasResponse,
    summary="Point an alias at a version (promote or roll back)",
    dependencies=[Depends(require("admin"))],
)
def put_alias(
    body: AliasRequest,
    name: ModelName,
    alias: Annotated[str, Path(description="Alias, e.g. 'production'.", max_length=64)],
    backend: BackendDep,
) -> AliasResponse:
    """Write an ALIAS_SET event; scorers follow it. Answers once this gateway has read the change back."""
    try:
        check_alias(alias)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    state = _state(backend)
    try:
        info = state.get(name, body.version)
    except RegistryError as exc:
        raise NotFound(str(exc)) from None
    if info.retired:
        raise NotFound(f"model {name!r} version {body.version} is retired")
    try:
        set_alias(backend.producer(), name, alias, body.version)
    except (PublishError, DeliveryFailed) as exc:
        raise KafkaUnavailable(f"the alias change was not acknowledged by Kafka: {exc}") from None
    backend.models.wait_for(lambda s: _alias_is(s, name, alias, body.version), backend.settings.job_seen_timeout_s)
    return AliasResponse(model=name, alias=alias, version=body.version)


def _alias_is(state: RegistryState, name: str, alias: str, version: int) -> bool:
    try:
        return state.aliases(name).get(alias) == version
    except RegistryError:
        return False


@router.post(
    "/{name}/predict",
    response_model=PredictResponse,
    summary="Score rows",
    dependencies=[Depends(require("score"))],
    responses={
        404: {"description": "Unknown model or version"},
        413: {"description": "Too many rows or body too large"},
        422: {"description": "A row lacks an input column or has a bad value"},
        503: {"description": "Kafka unreachable"},
        504: {"description": "No scorer replied in time"},
    },
)
async def predict(
    body: PredictRequest,
    name: ModelName,
    backend: BackendDep,
    settings: SettingsDep,
) -> PredictResponse:
    """Rows → ``score.requests`` → a scorer → this gateway's reply topic → predictions, one per row."""
    if len(body.rows) > settings.max_rows:
        raise PayloadTooLarge(f"{len(body.rows)} rows is over the limit of {settings.max_rows} (GATEWAY_MAX_ROWS)")
    client = backend.client()  # no I/O: the probe answer is refreshed in the background
    prediction = await score(
        client, name, body.rows, version=body.version, outputs=body.outputs, timeout=settings.predict_timeout_s
    )
    return PredictResponse(
        model=prediction.model,
        version=prediction.version,
        predictions=prediction.rows,
        latency_ms=round(prediction.latency_ms, 3),
    )
