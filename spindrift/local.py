"""The local topology in the background, without Docker: what ``make up`` / ``make down`` drive.

``up`` spawns ONE detached supervisor (``python -m spindrift.local --run-dir ...``, its own
session and log) that starts Kafka (embedded on 127.0.0.1:9092, or the cluster in
``KAFKA_BOOTSTRAP_SERVERS``), a trainer, scorers and the gateway through
:class:`spindrift.topology.Topology`, then blocks until SIGTERM. Its children die with it
(Linux parent-death signal). It describes itself in ``<run dir>/state.json``: pid, gateway
URL, Kafka address, log directory and every child process.

``down`` SIGTERMs the supervisor, waits until it and every child exited and the ports are
free (SIGKILL after a timeout), and removes the state. Both are idempotent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spindrift.ports import port_is_free
from spindrift.topology import REPO_ROOT

__all__ = [
    "DEFAULT_GATEWAY_PORT",
    "DEFAULT_KAFKA_PORT",
    "LocalError",
    "RunDir",
    "UpOptions",
    "default_run_dir",
    "down",
    "status",
    "up",
]

DEFAULT_GATEWAY_PORT = 8080
DEFAULT_KAFKA_PORT = 9092
STATE_FILE = "state.json"
PID_FILE = "supervisor.pid"
SUPERVISOR_MODULE = "spindrift.local"


class LocalError(RuntimeError):
    """The local topology could not be started or stopped; the message says what to do."""


def default_run_dir() -> Path:
    """``SPINDRIFT_RUN_DIR``, else ``.spindrift/run`` in the repository."""
    return Path(os.environ.get("SPINDRIFT_RUN_DIR") or REPO_ROOT / ".spindrift" / "run").resolve()


def stop_hint(run_dir: str | Path | None) -> str:
    """How to stop the topology of ``run_dir``: ``make down`` for the default one."""
    if run_dir is None or Path(run_dir).resolve() == (REPO_ROOT / ".spindrift" / "run").resolve():
        return "make down"
    return f"spindrift down --run-dir {run_dir}"


# --- the run directory: pid file, state file, logs ------------------------------------------------


@dataclass(frozen=True)
class RunDir:
    """Where one local topology keeps its state and logs."""

    path: Path

    @property
    def logs(self) -> Path:
        """One log file per process."""
        return self.path / "logs"

    @property
    def supervisor_log(self) -> Path:
        """The supervisor's own output (start-up failures are quoted here)."""
        return self.logs / "supervisor.log"

    def supervisor_pid(self) -> int | None:
        """The supervisor's pid when it is alive (and really ours), else None."""
        pid = self.recorded_pid()
        return pid if pid is not None and _is_ours(pid, SUPERVISOR_MODULE) else None

    def recorded_pid(self) -> int | None:
        """The pid the last ``up`` recorded, alive or not (its session finds what it left behind)."""
        try:
            return int((self.path / PID_FILE).read_text().strip())
        except (OSError, ValueError):
            return None

    def state(self) -> dict[str, Any]:
        """What the supervisor last wrote about itself ({} when nothing is known)."""
        try:
            return dict(json.loads((self.path / STATE_FILE).read_text()))
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict[str, Any]) -> None:
        """Replace the state file atomically (readers never see half a file)."""
        tmp = self.path / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.path / STATE_FILE)

    def clear(self) -> None:
        """Forget the last run (its logs stay until the next ``up``)."""
        for name in (STATE_FILE, PID_FILE):
            with contextlib.suppress(FileNotFoundError):
                (self.path / name).unlink()


def _is_ours(pid: int, marker: str) -> bool:
    """Whether ``pid`` is alive and its command line mentions ``marker`` (a recycled pid is not ours)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A zombie (state Z) has exited; it only waits for its parent to reap it.
    return marker in cmdline and stat.rsplit(")", 1)[-1].split()[0] != "Z"


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status ``url`` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


# --- up / down / status (run by the CLI) --------------------------------------------------------


@dataclass(frozen=True)
class UpOptions:
    """What ``up`` starts and where."""

    run_dir: Path = field(default_factory=default_run_dir)
    gateway_port: int = DEFAULT_GATEWAY_PORT
    kafka_port: int = DEFAULT_KAFKA_PORT
    scorers: int = 2
    timeout_s: float = 300.0


@dataclass(frozen=True)
class UpResult:
    """The outcome of ``up``: what runs, and whether this call started it."""

    already_running: bool
    state: dict[str, Any]


def up(options: UpOptions, on_wait: Callable[[str], None] | None = None) -> UpResult:
    """Start the topology in the background and return once it is ready; idempotent."""
    run = RunDir(options.run_dir.resolve())
    pid = run.supervisor_pid()
    if pid is not None:
        state = _wait_ready(run, pid, options.timeout_s, on_wait)
        return UpResult(already_running=True, state=state)
    _stop_stragglers(run, run.state())  # a supervisor killed with -9 may have left children behind
    external_kafka = bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    ports = [("gateway", options.gateway_port)] + ([] if external_kafka else [("Kafka", options.kafka_port)])
    for what, port in ports:
        if not port_is_free(port):
            raise LocalError(
                f"port {port} on 127.0.0.1 (for {what}) is taken by another process; stop it, "
                f"or choose other ports (--gateway-port/--kafka-port)"
            )
    run.path.mkdir(parents=True, exist_ok=True)
    run.clear()
    shutil.rmtree(run.logs, ignore_errors=True)
    run.logs.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        SUPERVISOR_MODULE,
        "--run-dir",
        str(run.path),
        "--gateway-port",
        str(options.gateway_port),
        "--kafka-port",
        str(options.kafka_port),
        "--scorers",
        str(options.scorers),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    with run.supervisor_log.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached: outlives this command and the terminal's Ctrl-C
        )
    (run.path / PID_FILE).write_text(f"{process.pid}\n")
    try:
        state = _wait_ready(run, process.pid, options.timeout_s, on_wait, process)
    except LocalError:
        down(run.path)
        raise
    return UpResult(already_running=False, state=state)


def _wait_ready(
    run: RunDir,
    pid: int,
    timeout_s: float,
    on_wait: Callable[[str], None] | None,
    process: subprocess.Popen[bytes] | None = None,
) -> dict[str, Any]:
    """Poll until the supervisor says ready and the gateway's /v2/health/ready answers 200."""
    deadline = time.monotonic() + timeout_s
    last_phase = ""
    while time.monotonic() < deadline:
        exited = process.poll() is not None if process is not None else not _is_ours(pid, SUPERVISOR_MODULE)
        if exited:
            raise LocalError(f"the local topology failed to start; {run.supervisor_log}:\n{_tail(run.supervisor_log)}")
        state = run.state()
        phase = str(state.get("phase") or "starting")
        if phase != last_phase and on_wait is not None:
            on_wait(phase)
        last_phase = phase
        if phase == "ready" and (not state.get("gateway_url") or gateway_ready(state["gateway_url"])):
            return state
        time.sleep(0.25)  # readiness polling interval
    raise LocalError(
        f"the local topology was not ready after {timeout_s:.0f}s (last phase: {last_phase}); "
        f"logs in {run.logs}. Last lines of {run.supervisor_log}:\n{_tail(run.supervisor_log)}"
    )


def gateway_ready(url: str) -> bool:
    """True when the gateway's ``/v2/health/ready`` answers 200."""
    return http_status(f"{url.rstrip('/')}/v2/health/ready") == 200


@dataclass(frozen=True)
class DownResult:
    """The outcome of ``down``."""

    was_running: bool
    killed: list[str]
    """Processes that ignored SIGTERM and were killed."""


def down(run_dir: Path | None = None, timeout_s: float = 45.0) -> DownResult:
    """Stop the supervisor and every child, wait for the ports to be free, forget the state; idempotent."""
    run = RunDir((run_dir or default_run_dir()).resolve())
    state = run.state()
    pid = run.supervisor_pid()
    killed: list[str] = []
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _is_ours(pid, SUPERVISOR_MODULE) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _is_ours(pid, SUPERVISOR_MODULE):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed.append("supervisor")
    stragglers, stubborn = _stop_stragglers(run, state)
    killed += stubborn
    ports = [int(p) for p in state.get("ports", [])]
    deadline = time.monotonic() + 15.0  # a socket closes right after its process exits
    while any(not port_is_free(p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    busy = [p for p in ports if not port_is_free(p)]
    run.clear()
    if busy:
        raise LocalError(f"stopped every process, but port(s) {busy} are still taken by another process")
    return DownResult(was_running=pid is not None or stragglers > 0, killed=killed)


def _stop_stragglers(run: RunDir, state: dict[str, Any]) -> tuple[int, list[str]]:
    """Stop every process left in the sessions of the supervisor and its children.

    Returns how many were found, and the names of those that needed SIGKILL.

    The supervisor and each service lead their own session, and whatever they start stays in it
    (the broker JVM, Spark's JVM and its Python workers), so a session still finds a grandchild
    whose parent died (after a ``kill -9``, or a service that exited before its children).
    """
    sessions = {int(p["pid"]) for p in state.get("processes", []) if p.get("pid")}
    recorded = run.recorded_pid()
    if recorded is not None:
        sessions.add(recorded)
    alive = _session_members(sessions)
    if not alive:
        return 0, []
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    if _wait_gone(sessions, 20.0):
        return len(alive), []
    stubborn = _session_members(sessions)
    names = [_command_name(pid) for pid in stubborn]
    for pid in stubborn:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _wait_gone(sessions, 10.0)
    return len(alive), names


def _session_members(sessions: set[int]) -> list[int]:
    """Live (non-zombie) processes whose session id is one of ``sessions``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, session.
        if fields[0] != "Z" and int(fields[3]) in sessions and int(stat.parent.name) != os.getpid():
            found.append(int(stat.parent.name))
    return found


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() + f" (pid {pid})"
    except OSError:
        return f"pid {pid}"


def _wait_gone(sessions: set[int], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _session_members(sessions):
            return True
        time.sleep(0.1)
    return not _session_members(sessions)


@dataclass(frozen=True)
class ProcessStatus:
    """One process of the local topology as ``status`` sees it."""

    name: str
    pid: int
    alive: bool
    ready: bool | None
    log: str


@dataclass(frozen=True)
class Status:
    """The local topology's processes and the gateway's readiness."""

    running: bool
    state: dict[str, Any]
    processes: list[ProcessStatus]
    gateway_ready: bool | None


def status(run_dir: Path | None = None) -> Status:
    """What runs now, according to the run directory and each process's health endpoint."""
    run = RunDir((run_dir or default_run_dir()).resolve())
    state = run.state()
    pid = run.supervisor_pid()
    processes = []
    if pid is not None:
        processes.append(ProcessStatus("supervisor", pid, True, None, str(run.supervisor_log)))
    for p in state.get("processes", []):
        alive = _is_ours(int(p["pid"]), str(p["marker"]))
        ready = http_status(p["health_url"]) == 200 if alive and p.get("health_url") else None
        processes.append(ProcessStatus(str(p["name"]), int(p["pid"]), alive, ready, str(p.get("log", ""))))
    if pid is None:  # the supervisor is gone: only children that outlived it are worth showing
        processes = [p for p in processes if p.alive]
    gateway = gateway_ready(state["gateway_url"]) if pid is not None and state.get("gateway_url") else None
    return Status(running=pid is not None, state=state, processes=processes, gateway_ready=gateway)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- the supervisor process ----------------------------------------------------------------------


class _Stop(Exception):
    """SIGTERM/SIGINT arrived: stop everything."""


def supervise(run_dir: Path, gateway_port: int, kafka_port: int, scorers: int, timeout_s: float = 600.0) -> int:
    """Run the topology until SIGTERM; keeps ``state.json`` up to date. Must run in the main thread."""
    from spindrift.kafka.settings import KafkaSettings
    from spindrift.topology import Topology, TopologyError

    run = RunDir(run_dir)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        if not stop.is_set():
            stop.set()
            raise _Stop  # interrupts a start-up wait; the finally below stops what was started

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "phase": "starting kafka",
        "run_dir": str(run.path),
        "log_dir": str(run.logs),
        "gateway_url": None,
        "kafka": None,
        "embedded_kafka": not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"),
        "ports": [],
        "processes": [],
        "started_at": time.time(),
    }
    run.write_state(state)
    broker: Any = None
    topology: Topology | None = None
    code = 0
    try:
        if state["embedded_kafka"]:
            from spindrift.kafka.embedded import EmbeddedKafka

            data_dir = run.path / "kafka"
            shutil.rmtree(data_dir, ignore_errors=True)  # a fresh broker per `up`
            broker = EmbeddedKafka(port=kafka_port, data_dir=data_dir).start()
            kafka = broker.settings()
            state["ports"] += [broker.port, broker.controller_port]
            state["processes"].append(
                {"name": "kafka", "pid": broker.pid, "marker": "kafka.Kafka", "log": str(broker.log_file)}
            )
            with contextlib.suppress(OSError):
                (run.logs / "kafka.log").symlink_to(broker.log_file)
        else:
            kafka = KafkaSettings()
        state.update(kafka=kafka.bootstrap_servers, phase="starting services")
        run.write_state(state)
        topology = Topology(kafka, work_dir=run.path)
        topology.start_trainer()
        for i in range(scorers):
            topology.start_scorer(f"scorer-{i + 1}")
        topology.start_gateway("gateway", gateway_port)
        state["gateway_url"] = f"http://127.0.0.1:{gateway_port}"
        state["ports"].append(gateway_port)
        state["processes"] += [
            {
                "name": s.name,
                "pid": s.pid,
                "marker": s.module,
                "health_url": f"{s.health_url}/health/ready",
                "log": str(s.log_path),
            }
            for s in topology.services
        ]
        run.write_state(state)
        topology.wait_ready(timeout_s)
        state["phase"] = "ready"
        run.write_state(state)
        print(f"ready: {json.dumps({k: state[k] for k in ('gateway_url', 'kafka', 'log_dir')})}", flush=True)
        while not stop.wait(1.0):  # wake every second to notice a dead child
            dead = [s.name for s in topology.services if not s.running]
            if broker is not None and not broker.is_running():
                dead.append("kafka")
            if dead:
                print(f"error: {', '.join(dead)} exited; stopping the local topology", file=sys.stderr, flush=True)
                code = 1
                break
    except _Stop:
        pass
    except (TopologyError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        # A second signal must not interrupt the shutdown itself.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        state["phase"] = "stopping"
        with contextlib.suppress(OSError):
            run.write_state(state)
        if topology is not None:
            topology.stop()
        if broker is not None:
            broker.stop()
        print("stopped", flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """The supervisor's entry point (``spindrift up`` starts it; run it by hand only to debug)."""
    parser = argparse.ArgumentParser(prog=f"python -m {SUPERVISOR_MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, default=default_run_dir())
    parser.add_argument("--gateway-port", type=int, default=DEFAULT_GATEWAY_PORT)
    parser.add_argument("--kafka-port", type=int, default=DEFAULT_KAFKA_PORT)
    parser.add_argument("--scorers", type=int, default=2)
    args = parser.parse_args(argv)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    (args.run_dir / "logs").mkdir(exist_ok=True)
    return supervise(args.run_dir.resolve(), args.gateway_port, args.kafka_port, args.scorers)


if __name__ == "__main__":
    sys.exit(main())
