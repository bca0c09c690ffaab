"""A service installed on its own: ``pip install 'spindrift[scorer]'`` (or ``[gateway]``) in a fresh venv, offline.

The wheels come from build/docker (``deploy/docker_context.py``, which the compose test and
``make compose-up`` use too), installed with ``--no-index``: no registry is contacted. Each venv
must hold no pyspark, start its console script, and answer ``/health/ready`` against the test
broker; the gateway must also reject a bad training spec without Spark.
Measured on a shared 2-core machine (load ≈ 16): about 2 min for this module, of which ≈ 20 s
bringing build/docker up to date, ≈ 25-35 s per venv (pip unpacking numpy and pyarrow) and
≈ 10 s starting the test broker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from spindrift.ports import free_port
from spindrift.topology import REPO_ROOT
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.timeout(600)]

CONTEXT = REPO_ROOT / "build" / "docker"


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    """build/docker brought up to date; skipped with the reason when its dependency wheels cannot be built."""
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "deploy" / "docker_context.py")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        last = ((result.stderr + result.stdout).strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"deploy/docker_context.py could not gather the wheels: {last}")
    return CONTEXT


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on sys.path and without pip's extra indexes."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "PYTHONUNBUFFERED": "1", **extra}


def _install(wheelhouse: Path, target: Path, extra: str) -> Path:
    """A fresh venv at ``target`` with ``spindrift[extra]`` installed from the wheelhouse only; its bin dir."""
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True, timeout=120)
    bin_dir = target / "bin"
    cmd = [
        str(bin_dir / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--no-compile",  # no .pyc for numpy/pyarrow up front: a third of the install time, never needed here
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        str(wheelhouse / "wheels"),
        "--find-links",
        str(wheelhouse / "app"),
        f"spindrift[{extra}]",
    ]
    result = subprocess.run(cmd, cwd=target, env=_clean_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"`{' '.join(cmd)}` failed:\n{result.stderr[-3000:]}"
    return bin_dir


def _installed(bin_dir: Path) -> set[str]:
    out = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {p["name"].lower().replace("_", "-") for p in json.loads(out)}


@pytest.fixture(scope="module")
def scorer_bin(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a venv holding only ``spindrift[scorer]``."""
    return _install(wheelhouse, tmp_path_factory.mktemp("scorer-venv"), "scorer")


@pytest.fixture(scope="module")
def gateway_bin(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a venv holding only ``spindrift[gateway]``."""
    return _install(wheelhouse, tmp_path_factory.mktemp("gateway-venv"), "gateway")


class Started:
    """A console script running from a fresh venv, outside this checkout, logging to a file."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.log = cwd / "service.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def ready(self, port: int) -> bool:
        """Whether /health/ready answers 200 (False while starting; the process must still run)."""
        assert self.process.poll() is None, f"exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 20 s."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[list[Started]]:
    """Processes started by a test, stopped afterwards."""
    started: list[Started] = []
    yield started
    for process in started:
        process.stop()


def test_scorer_install_has_no_spark_and_no_web_framework(scorer_bin: Path):
    installed = _installed(scorer_bin)
    assert {"spindrift", "sparkml-runtime", "confluent-kafka"} <= installed
    assert not installed & {"pyspark", "py4j", "pandas", "fastapi", "uvicorn"}, sorted(installed)


def test_gateway_install_has_no_spark(gateway_bin: Path):
    installed = _installed(gateway_bin)
    assert {"spindrift", "fastapi", "uvicorn", "sse-starlette"} <= installed
    assert not installed & {"pyspark", "py4j", "pandas"}, sorted(installed)


@pytest.mark.parametrize("script", ["spindrift-scorer", "spindrift-gateway", "spindrift"])
def test_console_scripts_answer_help_without_spark(gateway_bin: Path, script: str, tmp_path: Path):
    result = subprocess.run(
        [str(gateway_bin / script), "--help"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


def test_scorer_only_install_starts_and_gets_ready(scorer_bin, kafka_settings, tmp_path, run):
    port = free_port()
    env = _clean_env(
        KAFKA_BOOTSTRAP_SERVERS=kafka_settings.bootstrap_servers,
        SCORER_METRICS_PORT=str(port),
        SCORER_CACHE_DIR=str(tmp_path / "models"),
    )
    scorer = Started([str(scorer_bin / "spindrift-scorer")], env, tmp_path)
    run.append(scorer)
    assert wait_until(lambda: scorer.ready(port), timeout=120, interval=0.25), scorer.log.read_text()[-3000:]


def test_gateway_only_install_starts_and_rejects_a_bad_spec_without_spark(gateway_bin, kafka_settings, tmp_path, run):
    import httpx

    port = free_port()
    env = _clean_env(KAFKA_BOOTSTRAP_SERVERS=kafka_settings.bootstrap_servers, GATEWAY_PORT=str(port))
    gateway = Started([str(gateway_bin / "spindrift-gateway")], env, tmp_path)
    run.append(gateway)
    assert wait_until(lambda: gateway.ready(port), timeout=120, interval=0.25), gateway.log.read_text()[-3000:]
    spec = {
        "model": "packaging",
        "pipeline": [{"stage": "LogisticRegression", "params": {"maxIters": 10}}],
        "data": {"rows": [{"x": 1.0, "label": 0.0}]},
    }
    response = httpx.post(f"http://127.0.0.1:{port}/v1/jobs", json=spec, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    assert "unknown param 'maxIters'" in response.text and "did you mean 'maxIter'" in response.text
