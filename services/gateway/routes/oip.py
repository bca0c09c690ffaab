"""/v2: the Open Inference Protocol's model metadata, model readiness and inference routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from spindrift.registry.state import ModelVersionInfo, RegistryError

from ..backend import Backend
from ..errors import NotFound
from ..oip import InferRequest, InferResponse, ModelMetadata, columns_to_outputs, inputs_to_rows, schema_to_tensors
from ..scoring import score
from ..security import require
from ..settings import GatewaySettings
from .deps import BackendDep, SettingsDep

router = APIRouter(prefix="/v2/models", tags=["open inference protocol (v2)"])

ModelName = Annotated[str, Path(description="Model name.", max_length=128)]
VersionRef = Annotated[str, Path(description="A version number or an alias.", max_length=64)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Model not ready"},
    404: {"description": "Unknown model or version"},
    413: {"description": "Too many rows or body too large"},
    422: {"description": "Bad tensor, missing column or bad value"},
    503: {"description": "Kafka unreachable"},
    504: {"description": "No scorer replied in time"},
}


def _resolve(backend: Backend, name: str, version: str | None) -> ModelVersionInfo:
    backend.require_state()
    try:
        return backend.models.snapshot().resolve(name, version)
    except RegistryError as exc:
        raise NotFound(str(exc)) from None


def _metadata(backend: Backend, name: str, version: str | None) -> ModelMetadata:
    info = _resolve(backend, name, version)
    state = backend.models.snapshot()
    versions = (
        [str(v.version) for v in state.versions(name) if not v.retired] if version is None else [str(info.version)]
    )
    return ModelMetadata(
        name=name,
        versions=versions,
        platform="spark-ml",
        inputs=schema_to_tensors(info.manifest.get("input_schema") or []),
        outputs=schema_to_tensors(info.manifest.get("output_schema") or []),
    )


def _ready(backend: Backend, name: str, version: str | None) -> JSONResponse:
    info = _resolve(backend, name, version)
    probe = backend.readiness()
    reason = None if info.servable else f"version {info.version} is not servable: {info.reason}"
    if reason is None and not probe.ready:
        reason = probe.message
    body = {"name": name, "version": str(info.version), "ready": reason is None}
    if reason is not None:
        body["error"] = reason
    return JSONResponse(body, status_code=200 if reason is None else 400)


async def _infer(
    backend: Backend, settings: GatewaySettings, name: str, version: str | None, body: InferRequest
) -> InferResponse:
    rows = inputs_to_rows(body.inputs, settings.max_rows)
    wanted = [o.name for o in body.outputs] if body.outputs else None
    client = backend.client()  # no I/O: the probe answer is refreshed in the background
    prediction = await score(client, name, rows, version=version, outputs=wanted, timeout=settings.predict_timeout_s)
    return InferResponse(
        model_name=prediction.model,
        model_version=None if prediction.version is None else str(prediction.version),
        id=body.id,
        outputs=columns_to_outputs(prediction.rows, wanted),
    )


@router.get("/{name}", response_model=ModelMetadata, summary="Model metadata", dependencies=[Depends(require(None))])
def model_metadata(name: ModelName, backend: BackendDep) -> ModelMetadata:
    """Name, versions, platform, input and output tensors of the default version."""
    return _metadata(backend, name, None)


@router.get(
    "/{name}/versions/{version}",
    response_model=ModelMetadata,
    summary="Model version metadata",
    dependencies=[Depends(require(None))],
)
def version_metadata(name: ModelName, version: VersionRef, backend: BackendDep) -> ModelMetadata:
    """Input and output tensors of one version."""
    return _metadata(backend, name, version)


@router.get("/{name}/ready", summary="Model ready", dependencies=[Depends(require(None))], responses=_ERRORS)
def model_ready(name: ModelName, backend: BackendDep) -> JSONResponse:
    """200 when the default version is servable and a scorer is alive; 400 (with the reason) when not."""
    return _ready(backend, name, None)


@router.get(
    "/{name}/versions/{version}/ready",
    summary="Model version ready",
    dependencies=[Depends(require(None))],
    responses=_ERRORS,
)
def version_ready(name: ModelName, version: VersionRef, backend: BackendDep) -> JSONResponse:
    """200 when the version is servable and a scorer is alive; 400 (with the reason) when not."""
    return _ready(backend, name, version)


@router.post(
    "/{name}/infer",
    response_model=InferResponse,
    summary="Inference",
    dependencies=[Depends(require("score"))],
    responses=_ERRORS,
)
async def infer(
    body: InferRequest,
    name: ModelName,
    backend: BackendDep,
    settings: SettingsDep,
) -> InferResponse:
    """Named input tensors → rows → the scorer → one output tensor per output column."""
    return await _infer(backend, settings, name, None, body)


@router.post(
    "/{name}/versions/{version}/infer",
    response_model=InferResponse,
    summary="Inference with a version",
    dependencies=[Depends(require("score"))],
    responses=_ERRORS,
)
async def infer_version(
    body: InferRequest,
    name: ModelName,
    version: VersionRef,
    backend: BackendDep,
    settings: SettingsDep,
) -> InferResponse:
    """As ``/infer``, with a version number or an alias."""
    return await _infer(backend, settings, name, version, body)
