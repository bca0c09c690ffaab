"""A real single-node Apache Kafka (KRaft, broker+controller) started from Maven jars, without Docker.

``python -m spindrift.kafka.embedded fetch`` resolves the jars pinned in ``deploy/kafka/pom.xml`` once
into ``.kafka/jars``; ``EmbeddedKafka`` then formats a log dir, starts the JVM on free
127.0.0.1 ports, waits until an admin metadata call succeeds, and stops it (SIGTERM, then
SIGKILL). The broker is killed too when the Python process exits, even by SIGKILL (Linux
parent-death signal), so no orphan JVM outlives a test run.

Usage::

    with EmbeddedKafka() as kafka:
        settings = KafkaSettings(bootstrap_servers=kafka.bootstrap_servers)

``python -m spindrift.kafka.embedded run [--port 9092]`` keeps one in the foreground.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from spindrift.kafka.readiness import ClusterUnavailable, wait_for_cluster
from spindrift.kafka.settings import KafkaSettings
from spindrift.ports import free_port, port_is_free

__all__ = ["EmbeddedKafka", "EmbeddedKafkaError", "default_home", "ensure_jars", "kafka_version"]

_REPO_ROOT = Path(__file__).resolve().parents[2]
# Beside the Kafka image's start script; not at the root, where a `kafka/` folder would shadow kafka-python.
POM = _REPO_ROOT / "deploy" / "kafka" / "pom.xml"

# Startup-oriented JVM flags: a small heap and the serial collector suit one broker on a 2-core box;
# C1-only JIT starts the broker in ~4 s instead of ~6.5 s on a loaded 2-core machine. A throughput
# benchmark may pass its own ``jvm_options`` without TieredStopAtLevel to get C2's peak speed.
DEFAULT_JVM_OPTIONS: tuple[str, ...] = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)

_LOG4J2 = """\
rootLogger.level={level}
rootLogger.appenderRef.out.ref=OUT
appender.out.type=Console
appender.out.name=OUT
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level={level}
logger.apache.name=org.apache.kafka
logger.apache.level={level}
"""


class EmbeddedKafkaError(RuntimeError):
    """The embedded broker could not be fetched, formatted or started."""


def default_home() -> Path:
    """Where jars and run dirs live: ``$SPINDRIFT_KAFKA_HOME`` or ``<repo>/.kafka``."""
    return Path(os.environ.get("SPINDRIFT_KAFKA_HOME") or _REPO_ROOT / ".kafka")


def kafka_version(pom: Path = POM) -> str:
    """The Kafka version pinned in the pom's ``kafka.version`` property."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text(encoding="utf-8"))
    if not match:
        raise EmbeddedKafkaError(f"{pom} has no <kafka.version> property")
    return match.group(1).strip()


def ensure_jars(jars_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """Fetch the broker's jars with Maven unless this pom's version is already there; returns the dir.

    The copy goes to a temporary sibling first and is renamed into place, so an interrupted
    fetch never leaves a half-filled jar dir that later runs would trust.
    """
    jars = jars_dir or default_home() / "jars"
    version = kafka_version()
    stamp = jars / f".fetched-kafka-{version}"
    if stamp.exists():
        return jars
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EmbeddedKafkaError("Maven (`mvn`) is not on PATH; install it (apt-get install maven) to fetch Kafka")
    if not quiet:
        print(f"fetching Apache Kafka {version} jars with Maven into {jars} (once; cached afterwards)", flush=True)
    jars.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="jars-", dir=jars.parent))
    started = time.monotonic()
    cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise EmbeddedKafkaError(f"`{' '.join(cmd)}` failed (exit {result.returncode}):\n{tail}")
    if not (staging / f"kafka_2.13-{version}.jar").exists():
        shutil.rmtree(staging, ignore_errors=True)
        raise EmbeddedKafkaError(f"Maven finished but kafka_2.13-{version}.jar is missing; check {POM}")
    (staging / stamp.name).write_text(version + "\n", encoding="utf-8")
    if jars.exists():
        shutil.rmtree(jars)
    staging.rename(jars)
    if not quiet:
        count = len(list(jars.glob("*.jar")))
        print(f"fetched {count} jars in {time.monotonic() - started:.1f} s", flush=True)
    return jars


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGKILL it when the parent dies (no orphan brokers)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class EmbeddedKafka:
    """One KRaft broker+controller JVM on 127.0.0.1; a context manager.

    ``port=0`` picks a free port. ``data_dir`` keeps the log dir (formatted only once) across
    runs; without it a temporary dir is used and removed on a clean stop. The broker's output
    goes to ``<data_dir>/broker.log``; failures name that file and quote its last lines.

    The parent-death signal is tied to the thread that calls ``start()``: start it from the
    main thread (or one that outlives the broker).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        controller_port: int = 0,
        data_dir: str | Path | None = None,
        jars_dir: str | Path | None = None,
        jvm_options: Sequence[str] = DEFAULT_JVM_OPTIONS,
        broker_properties: dict[str, str] | None = None,
        log_level: str = "INFO",
        startup_timeout_s: float = 60.0,
    ) -> None:
        self._requested_port = port
        self._requested_controller_port = controller_port
        self._data_dir = Path(data_dir) if data_dir else None
        self._jars_dir = Path(jars_dir) if jars_dir else None
        self._jvm_options = list(jvm_options)
        self._extra_properties = dict(broker_properties or {})
        self._log_level = log_level
        self._startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._owns_workdir = False
        self.port = 0
        self.controller_port = 0

    # -- public API -------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:<port>`` of the running broker."""
        if not self.port:
            raise EmbeddedKafkaError("the embedded broker is not started")
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """The broker's log file (stdout and stderr of the JVM)."""
        if self._workdir is None:
            raise EmbeddedKafkaError("the embedded broker is not started")
        return self._workdir / "broker.log"

    def settings(self, **overrides: object) -> KafkaSettings:
        """KafkaSettings pointing at this broker."""
        return KafkaSettings(bootstrap_servers=self.bootstrap_servers, **overrides)  # type: ignore[arg-type]

    @property
    def pid(self) -> int | None:
        """Process id of the broker JVM while it runs."""
        return self._process.pid if self.is_running() and self._process is not None else None

    @property
    def workdir(self) -> Path | None:
        """The dir holding config, log and data of the running broker."""
        return self._workdir

    def is_running(self) -> bool:
        """Whether the broker JVM is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedKafka:
        """Format (if needed), launch and wait until the broker answers metadata requests; returns self."""
        if self.is_running():
            return self
        jars = ensure_jars(self._jars_dir, quiet=True)
        if self._data_dir is not None:
            self._workdir = self._data_dir.resolve()
            self._workdir.mkdir(parents=True, exist_ok=True)
            self._owns_workdir = False
        else:
            self._workdir = Path(tempfile.mkdtemp(prefix="spindrift-kafka-"))
            self._owns_workdir = True
        # A free port can be taken between our probe and the JVM's bind; retry with new ones then.
        attempts = 1 if self._requested_port else 3
        for attempt in range(attempts):
            self._choose_ports()
            self._write_config()
            self._format(jars)
            self._launch(jars)
            try:
                self._await_ready()
                atexit.register(self.stop)
                return self
            except EmbeddedKafkaError:
                bind_clash = "Address already in use" in self._log_tail(200)
                self._kill()
                if not bind_clash or attempt == attempts - 1:
                    raise
        raise EmbeddedKafkaError("unreachable")  # pragma: no cover

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the broker: SIGTERM, then SIGKILL after ``timeout_s``; removes a temporary data dir."""
        atexit.unregister(self.stop)
        self._kill(timeout_s)
        if self._owns_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self.port = 0

    def __enter__(self) -> EmbeddedKafka:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- steps ------------------------------------------------------------------------------

    def _choose_ports(self) -> None:
        if self._requested_port and not port_is_free(self._requested_port):
            raise EmbeddedKafkaError(
                f"port {self._requested_port} on 127.0.0.1 is taken (another broker?); "
                "stop it or pick another port (0 = any free port)"
            )
        self.port = self._requested_port or free_port()
        self.controller_port = self._requested_controller_port or free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()

    def _write_config(self) -> None:
        assert self._workdir is not None
        log_dir = self._workdir / "data"
        properties = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(log_dir),
            # Single node: every internal topic has one replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Few internal partitions: creating 50 of them makes the first group join slow.
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.num.partitions": "4",
            "group.initial.rebalance.delay.ms": "0",
            # Lets tests use short session timeouts so a killed consumer is noticed quickly.
            "group.min.session.timeout.ms": "1000",
            # Typos in topic names must fail loudly; components create topics with ensure_topics.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "num.network.threads": "2",
            "num.io.threads": "2",
            # The default 128 MiB dedupe buffer costs over a second of startup for nothing here.
            "log.cleaner.dedupe.buffer.size": str(8 * 1024 * 1024),
        }
        properties.update(self._extra_properties)
        text = "".join(f"{key}={value}\n" for key, value in properties.items())
        (self._workdir / "server.properties").write_text(text, encoding="utf-8")
        (self._workdir / "log4j2.properties").write_text(_LOG4J2.format(level=self._log_level), encoding="utf-8")
        (self._workdir / "log4j2-quiet.properties").write_text(_LOG4J2.format(level="WARN"), encoding="utf-8")

    def _java(self, jars: Path, main: str, *args: str, quiet: bool = False) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise EmbeddedKafkaError("`java` is not on PATH; Kafka needs Java 17 or newer")
        assert self._workdir is not None
        log_config = self._workdir / ("log4j2-quiet.properties" if quiet else "log4j2.properties")
        return [
            java,
            *self._jvm_options,
            f"-Dlog4j2.configurationFile={log_config}",
            "-cp",
            f"{jars}/*",
            main,
            *args,
        ]

    def _format(self, jars: Path) -> None:
        """Give the log dir a KRaft format: copied from a cached template, made once per Kafka version.

        Formatting starts a JVM (about 2 s); what it writes (meta.properties and the bootstrap
        metadata snapshot) holds no ports or paths, so one formatted copy serves every broker.
        """
        assert self._workdir is not None
        data = self._workdir / "data"
        if (data / "meta.properties").exists():
            return  # a kept data dir is formatted once
        template = jars.parent / f"formatted-kafka-{kafka_version()}"
        if not (template / "meta.properties").exists():
            self._format_template(jars, template)
        shutil.copytree(template, data, dirs_exist_ok=True)

    def _format_template(self, jars: Path, template: Path) -> None:
        assert self._workdir is not None
        staging = Path(tempfile.mkdtemp(prefix="formatting-", dir=template.parent))
        config = staging / "server.properties"
        # Same quorum layout as the real config; only log.dirs differs.
        text = (self._workdir / "server.properties").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^log\.dirs=.*$", f"log.dirs={staging / 'data'}", text)
        config.write_text(text, encoding="utf-8")
        cmd = self._java(
            jars,
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={_kraft_cluster_id()}",
            "-c",
            str(config),
            quiet=True,
        )
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
            raise EmbeddedKafkaError(f"formatting the KRaft log dir failed (exit {result.returncode}):\n{tail}")
        try:
            (staging / "data").rename(template)
        except OSError:
            pass  # another process made the template first; theirs is as good
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _launch(self, jars: Path) -> None:
        assert self._workdir is not None
        cmd = self._java(jars, "kafka.Kafka", str(self._workdir / "server.properties"))
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child, closed right after
        try:
            self._process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._workdir,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - prctl must run in the child
            )
        finally:
            log.close()

    def _await_ready(self) -> None:
        settings = KafkaSettings(bootstrap_servers=self.bootstrap_servers)
        try:
            wait_for_cluster(settings, self._startup_timeout_s, still_starting=self.is_running)
        except ClusterUnavailable as exc:
            raise EmbeddedKafkaError(
                f"embedded Kafka did not start on {self.bootstrap_servers}: {exc}\n"
                f"broker log: {self.log_file} — last lines:\n{self._log_tail(25)}"
            ) from exc

    def _log_tail(self, lines: int) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except (OSError, EmbeddedKafkaError):
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _kill(self, timeout_s: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _kraft_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what ``random-uuid`` prints).

    Like Kafka's ``Uuid.randomUuid``, ids starting with ``-`` are drawn again: one in 64 would
    otherwise read as an option on a command line (it failed a CI run once).
    """
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``fetch`` the jars, or ``run`` a broker in the foreground until Ctrl-C / SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m spindrift.kafka.embedded", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="fetch the pinned Kafka jars with Maven (idempotent)")
    run = sub.add_parser("run", help="run a single-node broker in the foreground")
    run.add_argument("--port", type=int, default=9092, help="broker port on 127.0.0.1 (0 = any free port)")
    run.add_argument("--data-dir", default=None, help="keep the log dir here across runs (default: temporary)")
    run.add_argument("--create-topics", action="store_true", help="create Spindrift's standard topics at start")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            jars = ensure_jars()
            print(f"Kafka {kafka_version()} jars ready in {jars}")
            return 0
        ensure_jars()
        kafka = EmbeddedKafka(port=args.port, data_dir=args.data_dir)
        started = time.monotonic()
        kafka.start()
    except EmbeddedKafkaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop_requested.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop_requested.set())
    try:
        if args.create_topics:
            from spindrift.kafka.topics import ensure_topics

            ensure_topics(kafka.settings())
        print(f"Kafka ready in {time.monotonic() - started:.1f} s at {kafka.bootstrap_servers}", flush=True)
        print(f"export KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers}", flush=True)
        print(f"broker log: {kafka.log_file}; Ctrl-C stops it", flush=True)
        while not stop_requested.wait(1.0):  # wake every second to notice a dead broker
            if not kafka.is_running():
                print(f"error: the broker exited; see {kafka.log_file}", file=sys.stderr)
                return 1
    finally:
        kafka.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
