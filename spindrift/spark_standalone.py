"""A Spark standalone cluster on loopback — one master, N workers — from pyspark's own launcher.

For trying the trainer against a real cluster without installing Spark: the master and
workers are ``spark-class org.apache.spark.deploy.master.Master`` / ``...worker.Worker`` from
the installed pyspark, each a child process bound to 127.0.0.1 with its own work directory::

    with StandaloneCluster(workers=2, work_dir=Path("/tmp/spark-cluster")) as cluster:
        os.environ["SPARK_MASTER"] = cluster.master_url   # spark://127.0.0.1:<port>
        ...                                                # start a trainer; jobs run on the executors

``python -m spindrift.spark_standalone --workers 2`` runs one in the foreground until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from spindrift.ports import free_port

__all__ = ["ClusterError", "StandaloneCluster", "driver_conf"]

_MASTER = "org.apache.spark.deploy.master.Master"
_WORKER = "org.apache.spark.deploy.worker.Worker"


class ClusterError(RuntimeError):
    """The cluster did not come up in time; the message names the log to read."""


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def driver_conf() -> dict[str, str]:
    """Spark settings a driver on this machine needs so executors on loopback can reach it."""
    return {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


class StandaloneCluster:
    """One master and ``workers`` workers (``cores`` and ``memory`` each) as child processes."""

    def __init__(self, work_dir: Path, *, workers: int = 2, cores: int = 1, memory: str = "1g") -> None:
        self.work_dir = Path(work_dir)
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.port = free_port()
        self.ui_port = free_port()
        self._procs: list[subprocess.Popen[bytes]] = []

    @property
    def master_url(self) -> str:
        """The ``spark://`` URL drivers connect to."""
        return f"spark://127.0.0.1:{self.port}"

    def worker_dir(self, index: int) -> Path:
        """Worker ``index``'s work directory: one subdirectory per application, with each executor's logs."""
        return self.work_dir / f"worker-{index}"

    def start(self, timeout_s: float = 120.0) -> StandaloneCluster:
        """Start the master, then the workers; return once every worker is ALIVE at the master."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "master", [_MASTER, "--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(self.ui_port)]
        )
        for i in range(self.workers):
            self.worker_dir(i).mkdir(parents=True, exist_ok=True)
            self._spawn(
                f"worker-{i}",
                [
                    _WORKER,
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--work-dir",
                    str(self.worker_dir(i)),
                    "--webui-port",
                    str(free_port()),
                    self.master_url,
                ],
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_running()
            alive = [w for w in self.status().get("workers", []) if w.get("state") == "ALIVE"]
            if len(alive) >= self.workers:
                return self
            time.sleep(0.5)  # polling the master's status page; no event to wait on
        raise ClusterError(f"{len(alive)} of {self.workers} workers alive after {timeout_s:g} s; see {self.work_dir}")

    def status(self) -> dict[str, Any]:
        """The master's status JSON (workers, active and completed applications); {} while it starts."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as response:
                return dict(json.load(response))
        except (OSError, ValueError):
            return {}

    def stop(self) -> None:
        """Stop the workers, then the master."""
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._procs.clear()

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _spawn(self, name: str, args: list[str]) -> None:
        home = _spark_home()
        env = {
            **os.environ,
            "SPARK_HOME": str(home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_NO_DAEMONIZE": "1",
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
        }
        log = (self.work_dir / f"{name}.log").open("wb")
        self._procs.append(
            subprocess.Popen([str(home / "bin" / "spark-class"), *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        )

    def _check_running(self) -> None:
        for proc in self._procs:
            if proc.poll() is not None:
                raise ClusterError(f"a Spark daemon exited with {proc.returncode}; see the logs in {self.work_dir}")


def main(argv: list[str] | None = None) -> int:
    """Run a cluster in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=1, help="cores per worker")
    parser.add_argument("--memory", default="1g", help="memory per worker")
    parser.add_argument("--work-dir", type=Path, default=Path(".spindrift/spark-cluster"))
    args = parser.parse_args(argv)
    with StandaloneCluster(args.work_dir, workers=args.workers, cores=args.cores, memory=args.memory) as cluster:
        print(f"master {cluster.master_url} (status on http://127.0.0.1:{cluster.ui_port}); Ctrl-C stops it")
        print(f"trainer: SPARK_MASTER={cluster.master_url} TRAINER_SPARK_CONF='{json.dumps(driver_conf())}'")
        stop_signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # delivered to sigwait, not as exceptions
        signal.sigwait(stop_signals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
