"""Fail fast on start-up: with no broker, real scorer and trainer processes exit non-zero with one clear line,
within the configured timeout; SIGTERM while they wait stops them within seconds.

The "broker" is a closed port on localhost: connections are refused at once, as with a broker that is down.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.waiting import wait_until

_REPO = Path(__file__).resolve().parents[2]
CONNECT_TIMEOUT_S = 3.0
SERVICES = ["services.scorer", "services.trainer"]


def closed_port() -> int:
    """A localhost port nobody listens on (bound once to pick it, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(module: str, log: Path, connect_timeout_s: float) -> tuple[subprocess.Popen[bytes], str]:
    address = f"127.0.0.1:{closed_port()}"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": address,
        "KAFKA_CONNECT_TIMEOUT_S": str(connect_timeout_s),
        "SCORER_METRICS_PORT": "0",
        "TRAINER_METRICS_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", module], cwd=_REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return proc, address


def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return None


@pytest.mark.parametrize("module", SERVICES)
def test_no_broker_exits_non_zero_in_time_with_one_line_naming_the_setting(module: str, tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    started = time.monotonic()
    proc, address = start(module, log, CONNECT_TIMEOUT_S)
    code = wait_exit(proc, CONNECT_TIMEOUT_S + 20)  # the interpreter's own start-up takes a few seconds here
    # wait_exit kills and reaps the process when it overstays, so nothing outlives the test.
    elapsed = time.monotonic() - started
    text = log.read_text(errors="replace")
    assert code == 1, f"exit code {code} after {elapsed:.1f} s:\n{text[-3000:]}"
    errors = [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line]
    assert len(errors) == 1, text[-3000:]
    assert "KAFKA_BOOTSTRAP_SERVERS" in errors[0] and address in errors[0], errors[0]
    assert f"within {CONNECT_TIMEOUT_S:.0f} s" in errors[0]
    print(f"{module}: exit {code} after {elapsed:.1f} s")


@pytest.mark.parametrize("module", SERVICES)
def test_sigterm_while_waiting_for_the_broker_stops_within_seconds(module: str, tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    proc, address = start(module, log, connect_timeout_s=600)
    try:
        waiting = f"waiting up to 600 s for Kafka at {address}"
        assert wait_until(lambda: waiting in log.read_text(errors="replace") or proc.poll() is not None, 60, 0.05)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = wait_exit(proc, 10)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert code == 0, f"exit code {code} {took:.1f} s after SIGTERM:\n{log.read_text(errors='replace')[-3000:]}"
    assert took < 10
    print(f"{module}: stopped {took:.2f} s after SIGTERM")
