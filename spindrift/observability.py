"""One small HTTP server per service for ``/metrics`` (Prometheus) and health checks.

``/health/live`` answers 200 while the process runs; ``/health/ready`` answers 200 only
when the service says it is ready (e.g. a scorer has rebuilt its registry), else 503.
Kubernetes-style probes and the tests both wait on ``/health/ready``.

``/metrics`` is ``prometheus_client``'s own WSGI app (content negotiation for OpenMetrics,
gzip, ``name[]`` filters); the health routes are a few lines of WSGI beside it, served by
the standard library's WSGI server on a thread per request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app

ReadyCheck = Callable[[], bool]
StatusFn = Callable[[], dict[str, Any]]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow scrape never delays a readiness probe."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # probes every second would drown the service's own log


class HealthServer:
    """A background HTTP server exposing metrics, liveness, readiness and a status JSON."""

    def __init__(
        self,
        port: int,
        ready: ReadyCheck,
        *,
        status: StatusFn | None = None,
        host: str = "127.0.0.1",
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._ready = ready
        self._status = status or (lambda: {})
        self._metrics = make_wsgi_app(registry)
        self._server = make_server(host, port, self._app, _ThreadingWSGIServer, _QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="health-http", daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        """Start serving in a daemon thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (also when never started: shutdown() would then wait forever)."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._metrics(environ, start_response)
        if path == "/health/live":
            return _json(start_response, 200, {"status": "live"})
        if path in ("/health/ready", "/health"):
            ok = _safe_ready(self._ready)
            return _json(
                start_response, 200 if ok else 503, {"status": "ready" if ok else "starting", **self._status()}
            )
        return _json(start_response, 404, {"error": f"no such path {path}; try /metrics, /health/live, /health/ready"})


_REASONS = {200: "200 OK", 404: "404 Not Found", 503: "503 Service Unavailable"}


def _json(start_response: StartResponse, code: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(_REASONS[code], [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _safe_ready(check: ReadyCheck) -> bool:
    try:
        return bool(check())
    except Exception:
        return False
