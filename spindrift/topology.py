"""Run the Spindrift topology as local processes: a Kafka broker, a trainer, N scorers and gateways.

    with Topology() as topo:                   # embedded broker unless KAFKA_BOOTSTRAP_SERVERS is set
        topo.start_trainer()
        topo.start_scorer(); topo.start_scorer()
        topo.wait_ready(timeout=300)
        ... use topo.kafka (KafkaSettings) ...
    # every process is stopped, in reverse order, even on Ctrl-C or an error

Each service is ``python -m services.<name>`` with its own ``/health/ready`` port; a
service counts as started when that endpoint answers 200. Output goes to one log file per
process under the topology's work directory; a failure to start quotes its last lines.
Children are asked to die with this process (Linux parent-death signal), so none outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from spindrift.kafka.settings import KafkaSettings
from spindrift.ports import free_port

__all__ = ["ServiceProcess", "Topology", "TopologyError", "free_port"]

REPO_ROOT = Path(__file__).resolve().parents[1]


class TopologyError(RuntimeError):
    """A process of the topology did not start or answer its health check in time."""


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it when the parent dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class ServiceProcess:
    """One service process with a health port: start, wait until ready, stop (or kill, for fault tests)."""

    def __init__(self, name: str, module: str, env: Mapping[str, str], health_port: int, log_path: Path) -> None:
        self.name = name
        self.module = module
        self.env = dict(env)
        self.health_port = health_port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def health_url(self) -> str:
        """Base URL of the service's /metrics and /health endpoints."""
        return f"http://127.0.0.1:{self.health_port}"

    @property
    def pid(self) -> int | None:
        """Process id while running."""
        process = self.process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> ServiceProcess:
        """Launch the process (output appended to :attr:`log_path`); returns self without waiting."""
        if self.running:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - prctl must run in the child
                start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
            )
        return self

    def wait_ready(self, timeout: float) -> None:
        """Poll ``/health/ready`` until it answers 200; TopologyError if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                code = self.process.returncode if self.process is not None else None
                raise TopologyError(f"{self.name} exited with code {code} while starting:\n{self.log_tail()}")
            if self.is_ready():
                return
            time.sleep(0.25)  # readiness polling interval
        raise TopologyError(f"{self.name} not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def is_ready(self) -> bool:
        """True when ``/health/ready`` answers 200 now."""
        try:
            with urllib.request.urlopen(f"{self.health_url}/health/ready", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def metrics(self) -> str:
        """The text of ``/metrics``."""
        with urllib.request.urlopen(f"{self.health_url}/metrics", timeout=5) as response:
            return str(response.read().decode())

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def terminate(self) -> None:
        """Send SIGTERM without waiting (see :meth:`stop`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def kill(self) -> None:
        """SIGKILL now, as a crash would (fault-injection tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class Topology:
    """A broker (embedded unless one is configured) plus service processes; a context manager."""

    def __init__(
        self,
        kafka: KafkaSettings | None = None,
        *,
        work_dir: str | Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._given_kafka = kafka
        self.work_dir = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="spindrift-topology-"))
        self._extra_env = dict(env or {})
        self._broker: object | None = None
        self.kafka: KafkaSettings | None = kafka
        self.services: list[ServiceProcess] = []

    def __enter__(self) -> Topology:
        self.start_kafka()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start_kafka(self, timeout: float = 60.0) -> KafkaSettings:
        """The configured cluster (``KAFKA_BOOTSTRAP_SERVERS``), else a freshly started embedded broker."""
        from spindrift.kafka.readiness import wait_for_cluster

        if self.kafka is not None:
            return self.kafka
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            self.kafka = KafkaSettings()
            wait_for_cluster(self.kafka, timeout_s=timeout)
            return self.kafka
        from spindrift.kafka.embedded import EmbeddedKafka

        broker = EmbeddedKafka(startup_timeout_s=timeout)
        broker.start()
        self._broker = broker
        self.kafka = broker.settings()
        return self.kafka

    @property
    def broker_log(self) -> Path | None:
        """The embedded broker's log file, when this topology started one."""
        return getattr(self._broker, "log_file", None)

    def _env(self, overrides: Mapping[str, str]) -> dict[str, str]:
        if self.kafka is None:
            raise TopologyError("start Kafka first (use the topology as a context manager)")
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
                "PYSPARK_PYTHON": sys.executable,
            }
        )
        env.update(self._extra_env)
        env.update(overrides)
        return env

    def add_trainer(self, name: str = "trainer", **env: str) -> ServiceProcess:
        """A trainer process (not started yet); ``env`` adds TRAINER_*/SPARK_MASTER variables."""
        port = free_port()
        defaults = {
            "SPARK_MASTER": os.environ.get("SPARK_MASTER", "local[2]"),
            "TRAINER_WORK_DIR": str(self.work_dir / name),
        }
        service = ServiceProcess(
            name,
            "services.trainer",
            self._env({**defaults, **env, "TRAINER_METRICS_PORT": str(port), "TRAINER_WORKER_NAME": name}),
            port,
            self.work_dir / "logs" / f"{name}.log",
        )
        self.services.append(service)
        return service

    def add_scorer(self, name: str | None = None, **env: str) -> ServiceProcess:
        """A scorer process (not started yet); ``env`` adds SCORER_* variables."""
        name = name or f"scorer-{sum(s.module == 'services.scorer' for s in self.services) + 1}"
        port = free_port()
        defaults = {"SCORER_CACHE_DIR": str(self.work_dir / name / "models")}
        service = ServiceProcess(
            name,
            "services.scorer",
            self._env({**defaults, **env, "SCORER_METRICS_PORT": str(port), "SCORER_SCORER_ID": name}),
            port,
            self.work_dir / "logs" / f"{name}.log",
        )
        self.services.append(service)
        return service

    def add_gateway(self, name: str = "gateway", port: int | None = None, **env: str) -> ServiceProcess:
        """An HTTP gateway process (not started yet) on ``port`` (default: a free one); ``env`` adds GATEWAY_* variables.

        Its health port is its HTTP port: ``service.health_url`` is the gateway's base URL.
        """
        port = port or free_port()
        service = ServiceProcess(
            name,
            "services.gateway",
            self._env({**env, "GATEWAY_PORT": str(port)}),
            port,
            self.work_dir / "logs" / f"{name}.log",
        )
        self.services.append(service)
        return service

    def start_gateway(self, name: str = "gateway", port: int | None = None, **env: str) -> ServiceProcess:
        """Add and launch a gateway."""
        return self.add_gateway(name, port, **env).start()

    def start_trainer(self, name: str = "trainer", **env: str) -> ServiceProcess:
        """Add and launch a trainer."""
        return self.add_trainer(name, **env).start()

    def start_scorer(self, name: str | None = None, **env: str) -> ServiceProcess:
        """Add and launch a scorer."""
        return self.add_scorer(name, **env).start()

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Wait until every started service answers ``/health/ready`` (one shared deadline)."""
        deadline = time.monotonic() + timeout
        for service in self.services:
            if service.process is not None:
                service.wait_ready(max(1.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Stop every service (all asked at once, newest first), then the embedded broker; safe to call twice."""
        for service in reversed(self.services):
            with contextlib.suppress(Exception):
                service.terminate()
        for service in reversed(self.services):
            with contextlib.suppress(Exception):
                service.stop()
        broker, self._broker = self._broker, None
        if broker is not None:
            with contextlib.suppress(Exception):
                broker.stop()  # type: ignore[attr-defined]
            self.kafka = self._given_kafka
