"""``make demo``: the seed's story over HTTP — train in Spark, certify, publish, serve without Spark.

1. ``spindrift up`` (idempotent): embedded Kafka, a trainer, two scorers and the gateway in
   the background, returning once ``/v2/health/ready`` answers 200.
2. Submit Spark's ML pipeline tutorial (Tokenizer → HashingTF → LogisticRegression) with
   ``POST /v1/jobs`` and follow it with a progress bar fed by its server-sent events.
3. Once published and certified servable, score the tutorial's test documents three ways —
   ``POST /v1/models/tutorial/predict``, the Open Inference Protocol's ``/v2/.../infer``, and
   Kafka with the SDK — and print one table: predictions, model version, latency of each path.
4. Leave the system up, with a curl line to call it and ``make down`` to stop it.

Exit code 0 only when every step worked and the three paths agree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from spindrift import local
from spindrift.cli.api import Gateway, GatewayError
from spindrift.cli.progress import JobTimeout, follow_job

TRAINING_ROWS = [
    {"id": 0, "text": "a b c d e spark", "label": 1.0},
    {"id": 1, "text": "b d", "label": 0.0},
    {"id": 2, "text": "spark f g h", "label": 1.0},
    {"id": 3, "text": "hadoop mapreduce", "label": 0.0},
]
TEST_DOCUMENTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop"]
REPEATS = 20  # requests per document and path; the table shows the median latency


def tutorial_spec(model: str) -> dict[str, Any]:
    """Spark's ML pipeline example as a Spindrift training spec."""
    return {
        "model": model,
        "pipeline": [
            {"stage": "Tokenizer", "params": {"inputCol": "text", "outputCol": "words"}},
            {"stage": "HashingTF", "params": {"inputCol": "words", "outputCol": "features"}},
            {"stage": "LogisticRegression", "params": {"maxIter": 10, "regParam": 0.001}},
        ],
        "data": {"rows": TRAINING_ROWS},
        "evaluation": {"metric": "areaUnderROC"},
    }


class DemoFailed(RuntimeError):
    """A step of the demo failed; the message says which and why."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit code (0 when every path scored every document alike)."""
    parser = argparse.ArgumentParser(prog="python -m spindrift.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tutorial", help="model name to publish (default: tutorial)")
    parser.add_argument("--run-dir", type=Path, default=None, help="run directory (default: .spindrift/run)")
    parser.add_argument(
        "--gateway-port", type=int, default=int(os.environ.get("SPINDRIFT_GATEWAY_PORT", local.DEFAULT_GATEWAY_PORT))
    )
    parser.add_argument(
        "--kafka-port", type=int, default=int(os.environ.get("SPINDRIFT_KAFKA_PORT", local.DEFAULT_KAFKA_PORT))
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed for start-up and for training")
    args = parser.parse_args(argv)
    # Rich falls back to 80 columns without a terminal (make demo piped to a log): the table needs more.
    console = Console() if sys.stdout.isatty() else Console(width=120)
    started = time.monotonic()
    try:
        state = _up(console, args)
        _story(console, state, args.model, args.timeout)
    except DemoFailed as exc:
        console.print(f"[bold red]demo failed:[/] {exc}", highlight=False)
        console.print(
            "the local topology is left as it is; inspect it with `spindrift status`, stop it with `make down`"
        )
        return 1
    except KeyboardInterrupt:
        console.print("interrupted; the local topology keeps running (stop it with `make down`)")
        return 130
    console.print(f"demo done in {time.monotonic() - started:.0f}s", highlight=False)
    return 0


def _up(console: Console, args: argparse.Namespace) -> dict[str, Any]:
    options = local.UpOptions(
        run_dir=args.run_dir or local.default_run_dir(),
        gateway_port=args.gateway_port,
        kafka_port=args.kafka_port,
        timeout_s=args.timeout,
    )
    console.rule("1. the local topology")
    try:
        with console.status("starting Kafka, a trainer, two scorers and the gateway…") as spinner:
            result = local.up(options, on_wait=lambda phase: spinner.update(f"{phase}…"))
    except local.LocalError as exc:
        raise DemoFailed(str(exc)) from None
    state = result.state
    console.print("already up" if result.already_running else "up", highlight=False)
    console.print(
        f"  gateway {state['gateway_url']}   kafka {state['kafka']}   logs {state['log_dir']}", highlight=False
    )
    return state


def _story(console: Console, state: dict[str, Any], model: str, timeout: float) -> None:
    url = str(state["gateway_url"])
    with Gateway(url) as gw:
        console.rule("2. train Spark's ML pipeline tutorial over HTTP")
        try:
            accepted = gw.submit_job(tutorial_spec(model))
            console.print(f"POST {url}/v1/jobs → job {accepted['job_id']} {accepted['state']}", highlight=False)
            job = follow_job(gw, str(accepted["job_id"]), timeout, console)
        except (GatewayError, JobTimeout) as exc:
            raise DemoFailed(f"training over HTTP: {exc}") from None
        published = job.get("model") or {}
        if job.get("state") != "succeeded" or not job.get("servable") or published.get("version") is None:
            raise DemoFailed(f"job {job.get('job_id')} {job.get('state')}: {job.get('error') or job.get('reason')}")
        version = str(published["version"])
        console.print(f"{model} version {version} is published and certified servable", highlight=False)

        console.rule("3. score the test documents: /v1, /v2 and Kafka")
        try:
            v1 = _score_v1(gw, model, version)
            v2 = _score_v2(gw, model, version)
        except GatewayError as exc:
            raise DemoFailed(f"scoring over HTTP: {exc}") from None
    kafka = _score_kafka(str(state["kafka"]), model, version)
    _print_table(console, model, version, v1, v2, kafka)
    disagree = [d for d in TEST_DOCUMENTS if not v1[d][0] == v2[d][0] == kafka[d][0]]
    if disagree:
        raise DemoFailed(f"the three paths disagree on {disagree}")

    console.rule("4. it keeps running")
    body = '{"rows": [{"text": "spark i j k"}]}'
    console.print("call it:", highlight=False)
    console.print(
        f"  curl -s -X POST {url}/v1/models/{model}/predict -H 'content-type: application/json' -d '{body}'",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  spindrift --gateway {url} predict {model} --rows '{body[9:-1]}'", highlight=False, soft_wrap=True)
    console.print(f"  API docs: {url}/docs", highlight=False)
    console.print(f"stop it: {local.stop_hint(state.get('run_dir'))}", highlight=False)


Result = dict[str, tuple[float, float, float]]
"""Per document: (prediction, P(label=1), median latency in ms)."""


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    answer = call()
    return answer, (time.perf_counter() - started) * 1000.0


def _score_v1(gw: Gateway, model: str, version: str) -> Result:
    results: Result = {}
    for text in TEST_DOCUMENTS:
        latencies = []
        for _ in range(REPEATS):
            answer, ms = _timed(lambda t=text: gw.predict(model, [{"text": t}], version=version))
            latencies.append(ms)
        row = answer["predictions"][0]
        results[text] = (float(row["prediction"]), float(row["probability"][1]), statistics.median(latencies))
    return results


def _score_v2(gw: Gateway, model: str, version: str) -> Result:
    results: Result = {}
    for text in TEST_DOCUMENTS:
        latencies = []
        inputs = [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [text]}]
        for _ in range(REPEATS):
            answer, ms = _timed(lambda i=inputs: gw.infer(model, i, version=version))
            latencies.append(ms)
        tensors = {t["name"]: t for t in answer["outputs"]}
        probability = tensors["probability"]["data"]
        flat = probability[0] if probability and isinstance(probability[0], list) else probability
        results[text] = (float(tensors["prediction"]["data"][0]), float(flat[1]), statistics.median(latencies))
    return results


def _score_kafka(bootstrap: str, model: str, version: str) -> Result:
    from spindrift.client import SpindriftClient, SpindriftClientError
    from spindrift.kafka.settings import KafkaSettings

    results: Result = {}
    try:
        with SpindriftClient(KafkaSettings(bootstrap_servers=bootstrap)) as client:
            for text in TEST_DOCUMENTS:
                latencies = []
                for _ in range(REPEATS):
                    reply, ms = _timed(lambda t=text: client.predict(model, [{"text": t}], version=version, timeout=30))
                    latencies.append(ms)
                row = reply.rows[0]
                results[text] = (float(row["prediction"]), float(row["probability"][1]), statistics.median(latencies))
    except (SpindriftClientError, TimeoutError) as exc:
        raise DemoFailed(f"scoring over Kafka: {exc}") from None
    return results


def _print_table(console: Console, model: str, version: str, v1: Result, v2: Result, kafka: Result) -> None:
    table = Table(
        title=f"{model} version {version}: predictions, and median round trip of {REPEATS} requests per path",
        caption="the same model version answers every path; Spark is not on the request path",
    )
    for column, justify in (
        ("document", "left"),
        ("prediction", "right"),
        ("P(label=1)", "right"),
        ("version", "right"),
        ("/v1 predict ms", "right"),
        ("/v2 infer ms", "right"),
        ("Kafka SDK ms", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for text in TEST_DOCUMENTS:
        prediction, p1, _ = v1[text]
        table.add_row(
            repr(text),
            f"{prediction:.1f}",
            f"{p1:.6f}",
            version,
            f"{v1[text][2]:.1f}",
            f"{v2[text][2]:.1f}",
            f"{kafka[text][2]:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
