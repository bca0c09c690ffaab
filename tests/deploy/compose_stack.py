"""Drive the compose stack from tests: engine check, up/down on free ports, Prometheus queries.

The stack runs under its own compose project name and on free loopback ports, so a test run
never touches a stack a developer started with ``docker compose up`` (ports 9092/9090).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
UP_TIMEOUT_S = 900  # a fresh machine builds every image first (measured ≈ 6-8 min on 2 cores)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def engine_problem() -> str | None:
    """None when ``docker info`` and ``docker compose version`` answer, else one line saying what is missing."""
    for cmd in (["docker", "info"], ["docker", "compose", "version"]):
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`{' '.join(cmd)}` cannot run ({exc}); set up the engine with tools/docker-engine.sh up"
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            return f"`{' '.join(cmd)}` failed ({last}); set up the engine with tools/docker-engine.sh up"
    return None


def ensure_engine() -> str | None:
    """Run tools/docker-engine.sh up (idempotent: ~1 s when all is there); None when an engine answers, else why not.

    The script also installs promtool. When it fails but an engine answers anyway (say, a user
    without root on a machine that already runs Docker), the stack is still tested.
    """
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "tools" / "docker-engine.sh"), "up"], capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        return engine_problem() and "tools/docker-engine.sh up did not finish within 900 s"
    if result.returncode != 0 and engine_problem() is not None:
        last = ((result.stderr + result.stdout).strip().splitlines() or ["no output"])[-1]
        return f"tools/docker-engine.sh up failed: {last}"
    return engine_problem()


@dataclass
class Stack:
    """One compose project on free ports; ``up()`` builds and starts it, ``down()`` removes it with its volumes."""

    project: str = field(default_factory=lambda: f"spindrift-test-{os.getpid()}")
    kafka_port: int = field(default_factory=_free_port)
    prometheus_port: int = field(default_factory=_free_port)
    gateway_port: int = field(default_factory=_free_port)
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def env(self) -> dict[str, str]:
        """The environment compose runs with: the free ports, published on 127.0.0.1."""
        return {
            **os.environ,
            "SPINDRIFT_KAFKA_PORT": str(self.kafka_port),
            "SPINDRIFT_PROMETHEUS_PORT": str(self.prometheus_port),
            "SPINDRIFT_GATEWAY_PORT": str(self.gateway_port),
            "SPINDRIFT_GATEWAY_API_KEYS": f"{self.api_key}=train,admin,score",
        }

    @property
    def bootstrap(self) -> str:
        """Where host clients reach the stack's broker."""
        return f"127.0.0.1:{self.kafka_port}"

    def compose(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``docker compose -p PROJECT ARGS`` in the repository root."""
        cmd = ["docker", "compose", "-p", self.project, *args]
        result = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
        return result

    def services(self) -> list[str]:
        """The services the default profile starts."""
        return self.compose("config", "--services").stdout.split()

    @functools.cached_property
    def has_gateway(self) -> bool:
        """Whether the stack includes the HTTP gateway."""
        return "gateway" in self.services()

    @property
    def gateway_url(self) -> str:
        """The gateway as published on the host."""
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def gateway_auth(self) -> dict[str, str]:
        """The Authorization header for the stack's API key (all scopes)."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def up(self) -> None:
        """Prepare the build context, then build and start from a clean state, waiting for every health check."""
        subprocess.run([sys.executable, str(ROOT / "deploy" / "docker_context.py")], cwd=ROOT, check=True)
        self.compose("down", "-v", "--remove-orphans")
        self.compose(
            "up",
            "-d",
            "--build",
            "--pull",
            "never",
            "--wait",
            "--wait-timeout",
            str(UP_TIMEOUT_S),
            timeout=UP_TIMEOUT_S + 60,
        )

    def logs(self, tail: int = 40) -> str:
        """The last lines of every service's log (shown when a test fails)."""
        return self.compose("logs", "--no-color", "--tail", str(tail), check=False).stdout

    def down(self) -> None:
        """Remove the project's containers, networks and volumes, and images that rebuilds superseded.

        Every rebuild of the project's own wheels leaves the previous images untagged; on a
        machine that keeps its data root between runs they would pile up. Only dangling images
        labelled as this project's are pruned; the layer cache stays.
        """
        self.compose("down", "-v", "--remove-orphans", timeout=180, check=False)
        subprocess.run(
            ["docker", "image", "prune", "-f", "--filter", "label=io.spindrift.project=spindrift"],
            capture_output=True,
            timeout=120,
        )

    def service_metrics(self, service: str, port: int, index: int = 1) -> str:
        """The /metrics text of one replica, fetched from inside its container (its port is not published)."""
        code = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics', timeout=5).read().decode(), end='')"
        return self.compose("exec", "-T", "--index", str(index), service, "python3", "-c", code).stdout

    def prometheus(self, path: str, **params: str) -> Any:
        """GET a Prometheus HTTP API path; returns its ``data``."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = f"http://127.0.0.1:{self.prometheus_port}{path}{query}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus answered {body} to {url}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant-vector result of ``expr``."""
        return list(self.prometheus("/api/v1/query", query=expr)["result"])
