"""The gateway's errors, each with its HTTP status, and the handlers that turn every error into JSON.

Exception tree (all in this module)::

    GatewayError              status + code + message; the body says what to do
    ├── NotFound              404  unknown model, version, alias or job
    ├── Conflict              409  the job already ended; the model version is not servable
    ├── InvalidInput          422  a bad spec, a missing column, a bad value (naming row and column)
    ├── PayloadTooLarge       413  body over max_body_bytes, more rows than max_rows, a reply over the scorer's limit
    ├── Unauthorized          401  no or unknown API key
    ├── Forbidden             403  the key lacks the route's scope
    ├── ScorerFailed          502  the scorer answered with an internal error
    ├── KafkaUnavailable      503  Kafka does not answer
    └── ReplyTimedOut         504  no reply from a scorer in time

Bodies: ``{"error": message, "code": CODE}`` on /v1 and elsewhere; ``{"error": message}`` on /v2
(the Open Inference Protocol's error body). No stack trace ever reaches a response: an
unexpected exception is logged and answered 500 with a message pointing at the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "Conflict",
    "Forbidden",
    "GatewayError",
    "InvalidInput",
    "KafkaUnavailable",
    "NotFound",
    "PayloadTooLarge",
    "ReplyTimedOut",
    "ScorerFailed",
    "Unauthorized",
    "error_response",
    "install_error_handlers",
]

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """An error with an HTTP status and a message for the caller."""

    status = 500
    code = "INTERNAL"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class NotFound(GatewayError):
    """404: unknown model, version, alias or job."""

    status, code = 404, "NOT_FOUND"


class Conflict(GatewayError):
    """409: the request contradicts the current state (a finished job, a version that is not servable)."""

    status, code = 409, "CONFLICT"


class InvalidInput(GatewayError):
    """422: the request is well-formed JSON but its content is unusable."""

    status, code = 422, "INVALID_INPUT"


class PayloadTooLarge(GatewayError):
    """413: the body or the number of rows is over the configured limit."""

    status, code = 413, "PAYLOAD_TOO_LARGE"


class Unauthorized(GatewayError):
    """401: no API key, or one the gateway does not know."""

    status, code = 401, "UNAUTHORIZED"


class Forbidden(GatewayError):
    """403: the API key lacks the scope the route needs."""

    status, code = 403, "FORBIDDEN"


class ScorerFailed(GatewayError):
    """502: the scorer answered with an internal error."""

    status, code = 502, "SCORER_ERROR"


class KafkaUnavailable(GatewayError):
    """503: Kafka (or the state read from it) is not available."""

    status, code = 503, "KAFKA_UNAVAILABLE"


class ReplyTimedOut(GatewayError):
    """504: no scorer replied in time."""

    status, code = 504, "TIMEOUT"


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error body for ``request``'s protocol (/v2 gets the Open Inference Protocol's shape)."""
    body: dict[str, Any] = {"error": message}
    if not request.url.path.startswith("/v2/"):
        body["code"] = code
    return JSONResponse(body, status_code=status, headers=headers)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """One readable line from pydantic's validation errors: ``body.rows: Field required; ...``."""
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = len(errors) - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error as JSON with a message; never a stack trace."""

    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, 422, "INVALID_REQUEST", describe_validation_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.url.path}; see /docs for the endpoints"
        return error_response(request, exc.status_code, code, message, dict(exc.headers or {}) or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            request,
            500,
            "INTERNAL",
            f"internal gateway error ({type(exc).__name__}); the gateway log has the details",
        )
