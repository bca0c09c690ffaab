"""Prometheus metrics of the gateway, with units in their names, on the default registry (served at /metrics).

``route`` is the route's template (``/v1/models/{name}/predict``), never the raw path, so a
caller cannot blow up the number of series by inventing URLs.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["IN_FLIGHT", "REPLY_TIMEOUTS", "REQUESTS", "REQUEST_SECONDS", "RequestMetrics", "route_template"]

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


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request (the router records it in the scope), else ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestMetrics:
    """Pure ASGI middleware: count, time and track every HTTP request (a server-sent event stream until it ends).

    A plain ASGI wrapper rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
    runs each request through extra tasks and memory streams, a measurable share of a small request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what a request that dies before answering counts as

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        IN_FLIGHT.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, record_status)
        finally:
            IN_FLIGHT.dec()
            route = route_template(scope)  # known once routing happened, inside the app
            method = str(scope.get("method", ""))
            REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - started)
            REQUESTS.labels(route, method, str(status)).inc()
