"""Liveness and readiness (``/health/*`` like every service, ``/v2/health/*`` of the inference protocol), /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .deps import BackendDep

router = APIRouter(tags=["health"])


@router.get("/health/live", summary="The process is up")
def live() -> dict[str, str]:
    """200 while the process runs."""
    return {"status": "ok"}


@router.get("/health/ready", summary="Connected to Kafka and caught up with job and model state")
def ready(backend: BackendDep) -> JSONResponse:
    """200 once this gateway can serve requests (a scorer may still be missing: see /v2/health/ready)."""
    # The same conditions the routes require (connected, caught up, the cluster answering): a ready
    # gateway whose first cluster probe had not answered yet turned requests away with 503.
    if backend.caught_up and backend.probe.check().kafka_ok:
        return JSONResponse({"status": "ok", "detail": "connected to Kafka; job and model state caught up"})
    return JSONResponse(
        {"status": "unavailable", "detail": "connecting to Kafka or reading job and model state"}, status_code=503
    )


@router.get("/v2/health/live", summary="Open Inference Protocol: server live")
def v2_live() -> dict[str, bool]:
    """``{"live": true}`` while the process runs."""
    return {"live": True}


@router.get("/v2", summary="Open Inference Protocol: server metadata")
def v2_server_metadata() -> dict[str, object]:
    """The server's name, version and protocol extensions (none)."""
    return {"name": "spindrift-gateway", "version": "1", "extensions": []}


@router.get("/v2/health/ready", summary="Open Inference Protocol: server ready (Kafka answers, a scorer is alive)")
def v2_ready(backend: BackendDep) -> JSONResponse:
    """200 ``{"ready": true}`` when Kafka answers, state is caught up and at least one scorer is in its group."""
    probe = backend.readiness()
    ok = probe.ready and backend.caught_up
    detail = probe.message
    if probe.ready and not backend.caught_up:
        detail = "reading job and model state from Kafka"
    return JSONResponse({"ready": ok, "detail": detail}, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    """Every gateway metric in Prometheus' text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
