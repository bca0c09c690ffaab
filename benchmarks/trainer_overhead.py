"""What the trainer adds on top of Spark: end-to-end job time minus a bare pyspark fit of the same spec.

    make bench                                   # with the other benchmarks
    .venv/bin/python -m benchmarks.trainer_overhead [--warm-runs 3]

The spec is the seed's tutorial (Tokenizer -> HashingTF -> LogisticRegression(maxIter=10,
regParam=0.001) on Spark's four training documents).

- Trainer: a ``python -m services.trainer`` process on an embedded broker (or
  ``KAFKA_BOOTSTRAP_SERVERS``). Once it reports ready (its SparkSession is up), the first job
  is the *cold* case (nothing has run in that session yet); the following jobs are *warm*.
  Each job is timed from ``submit_training`` to the PUBLISHED event seen by this process,
  and split into phases using the job's own events.
- Bare: a SparkSession in this process with the same master runs ``createDataFrame`` +
  ``fit`` of the same pipeline; its first fit is cold, the next ones warm.

Trainer jobs and bare fits alternate (never at the same time), so both sides see the same
machine load; session start-up is excluded on both. Overhead = end-to-end − bare fit, per
pair, then the median. Prints a markdown table and writes ``build/bench/trainer.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

RESULTS_PATH = Path("build/bench/trainer.json")
MASTER = os.environ.get("SPARK_MASTER", "local[2]")
TRAINING_ROWS = [
    {"id": 0, "text": "a b c d e spark", "label": 1.0},
    {"id": 1, "text": "b d", "label": 0.0},
    {"id": 2, "text": "spark f g h", "label": 1.0},
    {"id": 3, "text": "hadoop mapreduce", "label": 0.0},
]
PIPELINE = [
    {"stage": "Tokenizer", "params": {"inputCol": "text", "outputCol": "words"}},
    {"stage": "HashingTF", "params": {"inputCol": "words", "outputCol": "features"}},
    {"stage": "LogisticRegression", "params": {"maxIter": 10, "regParam": 0.001}},
]
# Phase boundaries as the trainer announces them (PROGRESS messages), in order.
PHASES = ("loading data", "fitting", "certifying", "publishing")


def spec(model: str) -> dict[str, Any]:
    """The tutorial spec for ``model``."""
    return {"model": model, "pipeline": PIPELINE, "data": {"rows": TRAINING_ROWS}}


def run_pairs(warm_runs: int, timeout: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Start a trainer and a bare session, then alternate trainer jobs and bare fits: 1 cold + ``warm_runs`` warm."""
    from spindrift.jobs import follow_job, submit_training
    from spindrift.topology import Topology

    jobs, fits = [], []
    with Topology() as topology:
        kafka = topology.kafka
        assert kafka is not None
        trainer = topology.start_trainer(SPARK_MASTER=MASTER)
        started = time.monotonic()
        trainer.wait_ready(timeout)
        print(f"trainer ready in {time.monotonic() - started:.1f} s (Spark session start included)", flush=True)
        spark = start_bare_session()
        model = f"bench-{uuid.uuid4().hex[:8]}"
        try:
            for run in range(1 + warm_runs):
                session = "cold" if run == 0 else "warm"
                events: list[Any] = []
                submitted = time.time()
                job_id = submit_training(kafka, spec(model))
                final = follow_job(kafka, job_id, on_event=events.append, timeout=timeout)
                observed = time.time()
                if final.type != "PUBLISHED":
                    raise RuntimeError(f"benchmark job failed: {final.message}")
                timing = _phases(events, submitted, observed)
                timing.update(session=session, servable=bool((final.details or {}).get("servable")))
                jobs.append(timing)
                fit_s = bare_fit(spark)
                fits.append({"session": session, "fit_s": fit_s})
                print(
                    f"  run {run + 1} ({session}): trainer {timing['end_to_end_s']:.2f} s, bare fit {fit_s:.2f} s",
                    flush=True,
                )
        finally:
            spark.stop()
    return jobs, fits


def _phases(events: list[Any], submitted: float, observed: float) -> dict[str, Any]:
    """Split a job's wall time using the at_ms of its events."""
    at: dict[str, float] = {}
    for event in events:
        if event.type == "PROGRESS" and event.message in PHASES and event.message not in at:
            at[event.message] = event.at_ms / 1000
        elif event.type in ("STARTED", "PUBLISHED") and event.type not in at:
            at[event.type] = event.at_ms / 1000
    return {
        "end_to_end_s": observed - submitted,
        "handoff_s": at["STARTED"] - submitted,
        "validate_s": at["loading data"] - at["STARTED"],
        "load_s": at["fitting"] - at["loading data"],
        "fit_s": at["certifying"] - at["fitting"],
        "certify_s": at["publishing"] - at["certifying"],
        "publish_s": at["PUBLISHED"] - at["publishing"],
        "observe_s": observed - at["PUBLISHED"],
    }


def start_bare_session() -> Any:
    """A SparkSession in this process, configured as the trainer configures its own."""
    from spindrift.spark import start_session

    started = time.monotonic()
    spark = start_session("bench-bare-fit", MASTER)  # configured as the trainer's own session
    print(f"bare session ready in {time.monotonic() - started:.1f} s", flush=True)
    return spark


def bare_fit(spark: Any) -> float:
    """Seconds for createDataFrame + fit of the tutorial pipeline, as a pyspark user would write it."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, Tokenizer

    t0 = time.monotonic()
    frame = spark.createDataFrame([(r["id"], r["text"], r["label"]) for r in TRAINING_ROWS], ["id", "text", "label"])
    stages: list[Any] = [
        Tokenizer(inputCol="text", outputCol="words"),
        HashingTF(inputCol="words", outputCol="features"),
        LogisticRegression(maxIter=10, regParam=0.001),
    ]
    Pipeline(stages=stages).fit(frame)
    return time.monotonic() - t0


def summarise(jobs: list[dict[str, Any]], fits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per session kind: medians of end-to-end, bare fit, overhead and the trainer's phases."""
    rows = []
    for session in ("cold", "warm"):
        mine = [j for j in jobs if j["session"] == session]
        bare = [f["fit_s"] for f in fits if f["session"] == session]
        if not mine or not bare:
            continue
        row: dict[str, Any] = {"session": session, "runs": len(mine)}
        for key in mine[0]:
            if key.endswith("_s"):
                row[key] = statistics.median(j[key] for j in mine)
        row["bare_fit_s"] = statistics.median(bare)
        row["overhead_s"] = statistics.median(j["end_to_end_s"] - b for j, b in zip(mine, bare, strict=True))
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    """The summary as a markdown table (seconds, medians)."""
    print()
    print(
        "| session | runs | end-to-end | bare fit | **overhead** | handoff | validate | load | fit (trainer) "
        "| certify | publish | event seen |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['session']} | {r['runs']} | {r['end_to_end_s']:.2f} | {r['bare_fit_s']:.2f} | **{r['overhead_s']:.2f}** "
            f"| {r['handoff_s']:.2f} | {r['validate_s']:.2f} | {r['load_s']:.2f} | {r['fit_s']:.2f} "
            f"| {r['certify_s']:.2f} | {r['publish_s']:.2f} | {r['observe_s']:.2f} |"
        )
    print()
    print(
        f"Seconds, medians; Spark master {MASTER}; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs."
    )


def main(argv: list[str] | None = None) -> int:
    """Run both sides, print the table, write the JSON; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trainer_overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warm-runs", type=int, default=3, help="warm jobs and warm fits after the cold one (default 3)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed for start-up and each job")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help=f"JSON results path (default {RESULTS_PATH})")
    args = parser.parse_args(argv)
    if args.warm_runs < 1:
        parser.error("--warm-runs must be at least 1")
    jobs, fits = run_pairs(args.warm_runs, args.timeout)
    rows = summarise(jobs, fits)
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "trainer_overhead",
        "spark_master": MASTER,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average_at_end": os.getloadavg(),
        "summary": rows,
        "trainer_jobs": jobs,
        "bare_fits": fits,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
