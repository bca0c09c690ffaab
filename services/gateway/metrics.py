"""Prometheus metrics of the gateway, with units in their names, on the default registry (served at /metrics).

``route`` is the route's template (``/v1/models/{name}/predict``), never the raw path, so a
caller cannot blow up the number of series by inventing URLs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import Counter, Gauge, Histogram

__all__ = ["IN_FLIGHT", "REPLY_TIMEOUTS", "REQUESTS", "REQUEST_SECONDS", "observe_requests"]

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "spindrift_gateway_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "spindrift_gateway_request_duration_seconds",
    "Time from receiving a request to its response, by route template and method.",
    ["route", "method"],
    buckets=_SECONDS,
)
IN_FLIGHT = Gauge("spindrift_gateway_in_flight_requests", "Requests being handled right now.")
REPLY_TIMEOUTS = Counter(
    "spindrift_gateway_reply_timeouts", "Predict and infer calls that got no scorer reply in time."
)


def route_template(request: Request) -> str:
    """The template of the route that handled ``request`` (the router records it in the scope), else ``unmatched``."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


async def observe_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """HTTP middleware: count, time and track every request (SSE streams count until their headers are sent)."""
    IN_FLIGHT.inc()
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        IN_FLIGHT.dec()
        route = route_template(request)  # known once routing happened, inside call_next
        REQUEST_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, request.method, str(status)).inc()
