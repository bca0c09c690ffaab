"""One small HTTP server per service for ``/metrics`` (Prometheus) and health checks.

``/health/live`` answers 200 while the process runs; ``/health/ready`` answers 200 only
when the service says it is ready (e.g. a scorer has rebuilt its registry), else 503.
Kubernetes-style probes and the tests both wait on ``/health/ready``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

ReadyCheck = Callable[[], bool]
StatusFn = Callable[[], dict[str, Any]]


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
        self._registry = registry
        handler = self._handler_class()
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
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

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(outer._registry), CONTENT_TYPE_LATEST)
                elif path == "/health/live":
                    self._json(200, {"status": "live"})
                elif path in ("/health/ready", "/health"):
                    ok = _safe_ready(outer._ready)
                    self._json(200 if ok else 503, {"status": "ready" if ok else "starting", **outer._status()})
                else:
                    self._json(404, {"error": f"no such path {path}; try /metrics, /health/live, /health/ready"})

            def _json(self, code: int, body: dict[str, Any]) -> None:
                self._send(code, json.dumps(body).encode(), "application/json")

            def _send(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # probes every second would drown the service's own log

        return Handler


def _safe_ready(check: ReadyCheck) -> bool:
    try:
        return bool(check())
    except Exception:
        return False
