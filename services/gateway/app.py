"""The FastAPI application: routers, error handlers, metrics middleware, body limit, and the Kafka backend.

``create_app(settings, kafka)`` builds it; the backend (scoring client with its own reply topic,
job and model followers, producer) is created in the lifespan and closed at shutdown, so every
gateway process has its own reply topic and several run side by side.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from spindrift.kafka.settings import KafkaSettings

from . import docs
from .backend import Backend
from .errors import install_error_handlers
from .limits import BodyLimit
from .metrics import RequestMetrics
from .responses import SafeJSONResponse
from .routes import health, jobs, models, oip
from .settings import GatewaySettings

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_DESCRIPTION = """HTTP face of Spindrift: train Spark ML pipelines (`/v1/jobs`), inspect and promote models
(`/v1/models`), score rows (`/v1/models/{name}/predict`) or speak the Open Inference Protocol (`/v2`).
Errors are JSON: `{"error": message, "code": CODE}` (on /v2: `{"error": message}`)."""


def create_app(settings: GatewaySettings | None = None, kafka: KafkaSettings | None = None) -> FastAPI:
    """The gateway app for ``settings`` (default: from ``GATEWAY_*``) and ``kafka`` (from ``KAFKA_*``)."""
    settings = settings or GatewaySettings()
    kafka = kafka or KafkaSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = Backend(settings, kafka)
        app.state.backend = backend
        backend.start()
        try:
            yield
        finally:
            backend.close()

    app = FastAPI(
        title="Spindrift gateway",
        version="1",
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=SafeJSONResponse,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics)  # outermost: refusals of the body limit are counted too
    for router in (health.router, jobs.router, models.router, oip.router, docs.router):
        app.include_router(router)
    return app
