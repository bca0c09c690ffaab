"""Run ``python -m services.scorer`` as a real subprocess and wait on its health endpoint."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from kafka import TopicPartition

from spindrift.kafka.settings import KafkaSettings
from tests.kafka_user import user_consumer as make_consumer  # a user's client reads the replies
from tests.waiting import wait_until

_REPO = Path(__file__).resolve().parents[2]
_PORT_LINE = re.compile(r"metrics and health on http://127\.0\.0\.1:(\d+)")


class ScorerProcess:
    """One scorer subprocess with its log file; ``wait_ready`` polls /health/ready with a deadline."""

    def __init__(self, name: str, log_dir: Path, env: dict[str, str], args: list[str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        full_env = {**os.environ, **env, "SCORER_SCORER_ID": name, "SCORER_METRICS_PORT": "0", "PYTHONUNBUFFERED": "1"}
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.scorer", *(args or [])],
            cwd=_REPO,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.port: int | None = None

    def log_text(self) -> str:
        """Everything the process has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until the log names the health port and /health/ready answers 200."""

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            if self.port is None:
                match = _PORT_LINE.search(self.log_text())
                self.port = int(match.group(1)) if match else None
            return self.port is not None and self.http_status("/health/ready") == 200

        if not wait_until(ready, timeout, interval=0.1):
            raise AssertionError(f"{self.name} not ready after {timeout} s:\n{self.log_text()[-4000:]}")

    def http_status(self, path: str) -> int | None:
        """HTTP status of GET ``path`` on the health port, or None when nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return None

    def status(self) -> dict[str, Any]:
        """The status JSON of /health/ready (also served while not ready, with 503)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/ready", timeout=2) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read()))

    def http_text(self, path: str) -> str:
        """Body of GET ``path`` on the health port."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
            return str(response.read().decode("utf-8"))

    def kill_9(self) -> None:
        """SIGKILL: no batch finished, no commit, no group leave."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for a graceful exit; returns the exit code (SIGKILL after the timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return int(self.proc.returncode)

    def __repr__(self) -> str:
        return f"ScorerProcess({self.name}, pid={self.proc.pid}, port={self.port})"


def wait_for_partitions(procs: list[ScorerProcess], total: int, timeout: float = 30.0) -> None:
    """Wait until the group has split ``total`` partitions among ``procs``, each owning at least one."""
    owned: list[list[str]] = []

    def shared() -> bool:
        owned[:] = [list(p.status().get("assigned_partitions", [])) for p in procs]
        flat = [tp for mine in owned for tp in mine]
        return all(owned) and len(flat) == len(set(flat)) == total

    if not wait_until(shared, timeout, interval=0.1):
        raise AssertionError(f"partitions not shared among {procs} after {timeout} s: {owned}")


def scorer_env(kafka: Any, **scorer: str) -> dict[str, str]:
    """Environment pointing a scorer at the test broker, with SCORER_* overrides given as keyword names."""
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
    env.update({f"SCORER_{k.upper()}": v for k, v in scorer.items()})
    return env


def read_topic(kafka: KafkaSettings, topic: str, match: Any, timeout: float = 30.0) -> Any:
    """The first record of ``topic`` (partition 0, from the beginning) for which ``match`` is true."""
    consumer = make_consumer(kafka)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    if match(record):
                        return record
    finally:
        consumer.close()
    raise AssertionError(f"no matching record on {topic} within {timeout} s")


class Load:
    """Calls ``send(i)`` (i = 0, 1, 2...) every ``interval`` seconds from a thread until stopped.

    ``send`` returns a future (e.g. ``SpindriftClient.predict_async``); every future is kept, in
    send order, so a test can check each reply after the load stops.
    """

    def __init__(self, send: Callable[[int], Future[Any]], interval: float) -> None:
        self.send = send
        self.interval = interval
        self.sent: list[Future[Any]] = []
        self._lock = threading.Lock()  # the load's thread and burst() number requests in one sequence
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-load", daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop sending (the futures already sent keep running)."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.burst(1)

    def burst(self, n: int) -> list[Future[Any]]:
        """Send ``n`` requests at once (numbered on from the load's own), e.g. to have some in flight."""
        with self._lock:
            futures = [self.send(len(self.sent) + k) for k in range(n)]
            self.sent.extend(futures)
        return futures

    def answered(self) -> list[Any]:
        """The successful replies so far, in send order."""
        return [f.result() for f in list(self.sent) if f.done() and f.exception() is None]

    def wait_until(self, condition: Callable[[list[Any]], object], timeout: float, what: str) -> None:
        """Wait until ``condition(answered())`` holds; AssertionError naming ``what`` after ``timeout``,
        or at once naming the first error reply (or timeout) any request got meanwhile."""

        def met() -> bool:
            failed = next((f.exception() for f in list(self.sent) if f.done() and f.exception() is not None), None)
            if failed is not None:
                raise AssertionError(f"a request failed while waiting for {what}: {failed!r}")
            return bool(condition(self.answered()))

        if not wait_until(met, timeout):
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def results(self, timeout: float) -> list[Any]:
        """Every reply, in send order; raises the first error reply or timeout."""
        return [f.result(timeout=timeout) for f in self.sent]
