"""The ``spindrift`` command against a local topology that the tests start with ``spindrift up`` itself.

The topology runs on free ports and in a private run directory, so a user's ``make up``
(8080/9092, ``.spindrift/run``) is never touched. Tests run in file order on one module-wide
topology: up → status → train → predict → models → promote → errors → down.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from spindrift import demo, local
from spindrift.cli import app
from spindrift.demo import TEST_DOCUMENTS, tutorial_spec
from spindrift.topology import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]


@dataclass
class Local:
    run_dir: Path
    gateway_port: int
    kafka_port: int

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def up_args(self) -> list[str]:
        return [
            "up",
            "--run-dir",
            str(self.run_dir),
            "--gateway-port",
            str(self.gateway_port),
            "--kafka-port",
            str(self.kafka_port),
        ]


def run(*args: str, gateway: str | None = None) -> Result:
    """Invoke the CLI in-process (wide output, so tables are not cut)."""
    argv = (["--gateway", gateway] if gateway else []) + list(args)
    return CliRunner().invoke(app, argv, env={"COLUMNS": "200", "KAFKA_BOOTSTRAP_SERVERS": ""}, catch_exceptions=False)


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    here = Local(tmp_path_factory.mktemp("cli") / "run", free_port(), free_port())
    # Another helper's or user's KAFKA_BOOTSTRAP_SERVERS would make `up` use that cluster: these tests
    # exercise the embedded broker on a port of their own.
    saved = os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    try:
        result = run(*here.up_args())
        assert result.exit_code == 0, result.output
        yield here
    finally:
        local.down(here.run_dir)
        if saved is not None:
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = saved


def test_down_with_nothing_running_says_so_twice(tmp_path: Path) -> None:
    for _ in range(2):
        result = run("down", "--run-dir", str(tmp_path / "never-up"))
        assert result.exit_code == 0, result.output
        assert "nothing is running" in result.output


def test_commands_against_a_down_gateway_say_so_in_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["models"], ["jobs"], ["predict", "tutorial", "--rows", '{"text": "spark"}']):
        result = run(*args, gateway=url)
        assert result.exit_code == 3, (args, result.output)
        assert result.stderr.strip() == f"error: no gateway answers at {url}; start one with `make up`"


def test_unreadable_rows_are_a_usage_error() -> None:
    result = run("predict", "tutorial", "--rows", "{not json", gateway="http://127.0.0.1:1")
    assert result.exit_code == 2 and "--rows is not valid JSON" in result.stderr


def test_an_up_that_times_out_says_so_and_leaves_nothing_running(tmp_path: Path) -> None:
    failing = Local(tmp_path / "run", free_port(), free_port())
    result = run(*failing.up_args(), "--timeout", "2")
    assert result.exit_code == 1
    assert "the local topology was not ready after 2s" in result.stderr
    assert str(failing.run_dir / "logs") in result.stderr, "the error says where the logs are"
    assert not _processes_mentioning(str(failing.run_dir)), "a failed up stops what it started"
    assert local.port_is_free(failing.kafka_port) and local.port_is_free(failing.gateway_port)
    assert local.RunDir(failing.run_dir).supervisor_pid() is None


def test_up_prints_where_everything_is_and_a_second_up_is_idempotent(topo: Local) -> None:
    state = local.RunDir(topo.run_dir).state()
    first_pid = state["pid"]
    assert state["phase"] == "ready"
    assert state["kafka"] == f"127.0.0.1:{topo.kafka_port}"
    result = run(*topo.up_args())
    assert result.exit_code == 0, result.output
    assert "already up" in result.output
    assert f"127.0.0.1:{topo.kafka_port} (embedded)" in result.output
    assert str(topo.run_dir / "logs") in result.output
    assert f"spindrift down --run-dir {topo.run_dir}" in result.output
    assert local.RunDir(topo.run_dir).state()["pid"] == first_pid, "a second up started nothing new"


def test_status_lists_every_process_alive_and_ready(topo: Local) -> None:
    result = run("status", "--run-dir", str(topo.run_dir))
    assert result.exit_code == 0, result.output
    expected = ["supervisor", "kafka", "trainer", "scorer-1", "scorer-2", "gateway"]
    for name in expected:
        line = next((ln for ln in result.output.splitlines() if f" {name} " in ln), None)
        assert line is not None and " yes " in line and " no " not in line, result.output
    assert "/v2/health/ready: ready" in result.output


def test_up_on_a_taken_port_fails_clearly(topo: Local, tmp_path: Path) -> None:
    other = Local(tmp_path / "run", topo.gateway_port, topo.kafka_port)
    result = run(*other.up_args())
    assert result.exit_code == 1
    assert f"port {topo.gateway_port} on 127.0.0.1 (for gateway) is taken" in result.stderr
    assert local.RunDir(other.run_dir).supervisor_pid() is None


def test_train_wait_follows_the_job_and_exits_0_once_published_and_servable(topo: Local, tmp_path: Path) -> None:
    spec = tmp_path / "tutorial.json"
    spec.write_text(json.dumps(tutorial_spec("cli-tutorial")))
    result = run("train", str(spec), "--wait", gateway=topo.gateway_url)
    assert result.exit_code == 0, result.output
    assert "published cli-tutorial version 1, servable" in result.output
    assert "100%" in result.output, "the progress bar reached its end"


def test_predict_prints_a_table_and_json_with_the_tutorials_predictions(topo: Local, tmp_path: Path) -> None:
    rows = [{"text": t} for t in TEST_DOCUMENTS]
    as_json = run("predict", "cli-tutorial", "--rows", json.dumps(rows), "--json", gateway=topo.gateway_url)
    assert as_json.exit_code == 0, as_json.output
    answer: dict[str, Any] = json.loads(as_json.stdout)
    assert answer["version"] == 1 and len(answer["predictions"]) == len(TEST_DOCUMENTS)
    for p in answer["predictions"]:
        assert list(p) == ["rawPrediction", "probability", "prediction"], "the default: the final stage's outputs"
        assert p["prediction"] == float(p["probability"][1] > 0.5)
    # (The gateway's own tests compare these with Spark's transform; here: the table shows the same answers.)
    expected = {t: p["prediction"] for t, p in zip(TEST_DOCUMENTS, answer["predictions"], strict=True)}

    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(rows))
    table = run(
        "predict", "cli-tutorial", "--rows", f"@{rows_file}", "--outputs", "text,prediction", gateway=topo.gateway_url
    )
    assert table.exit_code == 0, table.output
    assert "cli-tutorial version 1" in table.output
    for text in TEST_DOCUMENTS:
        line = next(ln for ln in table.output.splitlines() if f" {text} " in ln)
        assert line.split("│")[-2].strip() == f"{expected[text]:.6g}", line

    every = run(
        "predict",
        "cli-tutorial",
        "--rows",
        json.dumps(rows[:1]),
        "--outputs",
        "all",
        "--json",
        gateway=topo.gateway_url,
    )
    assert every.exit_code == 0, every.output
    assert {"text", "words", "features", "prediction"} <= set(json.loads(every.stdout)["predictions"][0])


def test_models_lists_the_trained_model(topo: Local) -> None:
    result = run("models", "--json", gateway=topo.gateway_url)
    assert result.exit_code == 0, result.output
    [model] = [m for m in json.loads(result.stdout)["models"] if m["name"] == "cli-tutorial"]
    assert model["default_version"] == 1 and model["latest_version"] == 1
    table = run("models", gateway=topo.gateway_url)
    assert table.exit_code == 0 and "cli-tutorial" in table.output


def test_jobs_lists_the_training_job_as_succeeded(topo: Local) -> None:
    result = run("jobs", "--model", "cli-tutorial", "--json", gateway=topo.gateway_url)
    assert result.exit_code == 0, result.output
    assert [j["state"] for j in json.loads(result.stdout)["jobs"]] == ["succeeded"]


def test_promote_moves_the_alias_that_models_shows(topo: Local) -> None:
    result = run("promote", "cli-tutorial", "1", gateway=topo.gateway_url)
    assert result.exit_code == 0, result.output
    assert "cli-tutorial: production → version 1" in result.output
    listing = json.loads(run("models", "--json", gateway=topo.gateway_url).stdout)
    [model] = [m for m in listing["models"] if m["name"] == "cli-tutorial"]
    assert model["aliases"] == {"production": 1}
    missing = run("promote", "cli-tutorial", "9", gateway=topo.gateway_url)
    assert missing.exit_code == 4, missing.output


def test_unknown_model_is_exit_4_with_the_gateways_message(topo: Local) -> None:
    result = run("predict", "no-such-model", "--rows", '{"text": "spark"}', gateway=topo.gateway_url)
    assert result.exit_code == 4, result.output
    assert "no-such-model" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_spec_is_exit_5_with_the_gateways_422_message(topo: Local, tmp_path: Path) -> None:
    spec = tutorial_spec("cli-bad")
    spec["pipeline"][0]["stage"] = "NotAStage"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    result = run("train", str(path), "--wait", gateway=topo.gateway_url)
    assert result.exit_code == 5, result.output
    assert "rejected by the gateway" in result.stderr and "NotAStage" in result.stderr


def test_demo_tells_the_tutorial_over_http_on_the_running_topology(
    topo: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide table, as on a terminal
    argv = ["--model", "demo-tutorial", "--run-dir", str(topo.run_dir)]
    argv += ["--gateway-port", str(topo.gateway_port), "--kafka-port", str(topo.kafka_port)]
    assert demo.main(argv) == 0
    printed = capsys.readouterr().out
    assert "already up" in printed, "the demo reuses a running topology"
    assert "demo-tutorial version 1 is published and certified servable" in printed
    for text in TEST_DOCUMENTS:
        assert repr(text) in printed
    assert f"curl -s -X POST {topo.gateway_url}/v1/models/demo-tutorial/predict" in printed
    assert f"stop it: spindrift down --run-dir {topo.run_dir}" in printed


def test_down_stops_every_process_frees_the_ports_and_is_idempotent(topo: Local) -> None:
    run_dir = local.RunDir(topo.run_dir)
    state = run_dir.state()
    # Every descendant, Spark's JVM and its Python workers included, not only the direct children.
    pids = _descendants(state["pid"])
    assert len(pids) > len(state["processes"]), "the trainer's Spark JVM is among them"
    result = run("down", "--run-dir", str(topo.run_dir))
    assert result.exit_code == 0, result.output
    assert "stopped" in result.output
    assert not [pid for pid in pids if _alive(pid)], "a process outlived down"
    for port in state["ports"]:
        assert local.port_is_free(port), f"port {port} still taken"
    assert run_dir.state() == {} and run_dir.supervisor_pid() is None
    again = run("down", "--run-dir", str(topo.run_dir))
    assert again.exit_code == 0 and "nothing is running" in again.output
    status = run("status", "--run-dir", str(topo.run_dir))
    assert status.exit_code == 1 and "nothing is running" in status.output


def _alive(pid: int) -> bool:
    """Alive and not a zombie (an exited child waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it, from /proc's parent links."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _processes_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace") and _alive(int(cmdline.parent.name)):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_down_after_the_supervisor_was_killed_stops_what_outlived_it(tmp_path: Path) -> None:
    crashed = Local(tmp_path / "run", free_port(), free_port())
    assert run(*crashed.up_args()).exit_code == 0
    run_dir = local.RunDir(crashed.run_dir)
    pids = _descendants(run_dir.state()["pid"])
    os.kill(pids[0], signal.SIGKILL)  # the supervisor dies without stopping anything itself
    result = run("down", "--run-dir", str(crashed.run_dir))
    assert result.exit_code == 0, result.output
    assert not [pid for pid in pids if _alive(pid)], "a child of the killed supervisor outlived down"
    assert not _processes_mentioning(str(crashed.run_dir))
    assert local.port_is_free(crashed.gateway_port) and local.port_is_free(crashed.kafka_port)
    assert run_dir.state() == {}
