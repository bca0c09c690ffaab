"""The PyFlink example (examples/flink/score_events.py): time per event inside Flink, row-at-a-time against vectorised.

    make bench                                   # with the other benchmarks (needs `make flink-env`)
    .venv/bin/python -m benchmarks.flink_job [--events 50000]

Each variant runs the job for real on Flink's local mini-cluster (parallelism 1) with
``.venv-flink/bin/python``, twice: on a small and on a large file of tutorial events. Three
figures per variant:

- scoring time per event inside the Python function (the job's ``--timings``: seconds spent
  in ``enrich`` over the events scored), and per call (one event, or one Arrow batch);
- the marginal time per event of the whole job (the difference of the two runs' wall times
  over the difference of their event counts), which adds Flink's own per-event costs (reading,
  shipping events to the Python worker and back, collecting) and removes the mini-cluster's
  start-up; its inverse is the job's throughput;
- the wall time of the small run, mostly start-up.

Spark's ``transform(df).collect()`` of the large file's rows is timed beside them. Prints a
markdown table and writes ``build/bench/flink.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.runtime import start_spark, tutorial_case, tutorial_rows

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "examples" / "flink" / "score_events.py"
FLINK_PYTHON = ROOT / ".venv-flink" / "bin" / "python"
RESULTS_PATH = Path("build/bench/flink.json")
# (name, job options): the row variant in Flink's two Python execution modes, and the pandas UDF.
VARIANTS = [
    ("row, process mode", ["--variant", "row"]),
    ("row, thread mode", ["--variant", "row", "--execution-mode", "thread"]),
    ("vectorised (pandas UDF)", ["--variant", "vectorised"]),
]


def write_events(path: Path, count: int) -> Path:
    """A JSON-lines file of ``count`` tutorial events."""
    path.write_text("".join(json.dumps(r) + "\n" for r in tutorial_rows(count, seed=count)), encoding="utf-8")
    return path


def run_job(model_dir: Path, events: Path, options: list[str], workdir: Path) -> dict[str, Any]:
    """One run of the job: its wall time, event count and the tasks' scoring timings."""
    timings = workdir / f"timings-{time.monotonic_ns()}.jsonl"
    output = workdir / "enriched.jsonl"
    command = [str(FLINK_PYTHON), str(JOB), "--model-dir", str(model_dir), "--input", str(events)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--output", str(output), "--timings", str(timings), *options],
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    wall_s = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the Flink job failed ({' '.join(options)}):\n{done.stderr[-3000:]}")
    tasks = [json.loads(line) for line in timings.read_text(encoding="utf-8").splitlines()]
    job = json.loads(done.stderr.strip().splitlines()[-1])
    return {
        "events": job["events"],
        "process_s": wall_s,
        "job_s": job["job_s"],
        "scored": sum(t["events"] for t in tasks),
        "calls": sum(t["calls"] for t in tasks),
        "busy_s": sum(t["busy_s"] for t in tasks),
    }


def spark_seconds(spark: Any, case: Any, rows: list[dict[str, Any]], repeats: int = 3) -> float:
    """Median seconds of Spark's transform + collect of ``rows`` (after one warm-up)."""
    df = spark.createDataFrame([(r["id"], r["text"]) for r in rows], case.schema).cache()
    df.count()
    samples = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        case.spark_model.transform(df).collect()
        samples.append(time.perf_counter() - started)
    df.unpersist()
    return statistics.median(samples[1:])


def main(argv: list[str] | None = None) -> int:
    """Run the Flink benchmark, print its table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="events in the large run (default 50,000)")
    parser.add_argument("--small", type=int, default=1_000, help="events in the small run (default 1,000)")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help=f"JSON results path (default {RESULTS_PATH})")
    args = parser.parse_args(argv)
    if not FLINK_PYTHON.exists():
        print(f"no {FLINK_PYTHON.relative_to(ROOT)}: run `make flink-env` first", file=sys.stderr)
        return 2

    spark = start_spark()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-flink-") as tmp:
            workdir = Path(tmp)
            case = tutorial_case(spark, workdir)
            model_dir = workdir / "tutorial"
            spark_s = spark_seconds(spark, case, tutorial_rows(args.events, seed=args.events))
            spark.stop()  # its JVM would compete with Flink's for the CPU
            small = write_events(workdir / "small.jsonl", args.small)
            large = write_events(workdir / "large.jsonl", args.events)
            results = []
            for name, options in VARIANTS:
                print(f"{name}: {args.small:,} then {args.events:,} events...", flush=True)
                results.append(
                    {
                        "variant": name,
                        "options": options,
                        "small": run_job(model_dir, small, options, workdir),
                        "large": run_job(model_dir, large, options, workdir),
                    }
                )
    finally:
        spark.stop()

    doc = {"events": args.events, "small": args.small, "spark_collect_s": spark_s, "variants": results}
    print_table(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


def print_table(doc: dict[str, Any]) -> None:
    """The results as a markdown table."""
    print(f"\n## PyFlink job (examples/flink), tutorial model, parallelism 1, {doc['events']:,} events\n")
    print("| variant | scoring per event | per call | job, marginal per event | throughput | small run wall |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in doc["variants"]:
        small, large = v["small"], v["large"]
        per_event_us = large["busy_s"] / large["scored"] * 1e6
        per_call_ms = large["busy_s"] / large["calls"] * 1e3
        marginal_s = (large["job_s"] - small["job_s"]) / (large["events"] - small["events"])
        print(
            f"| {v['variant']} | {per_event_us:.1f} µs | {per_call_ms:.3f} ms | {marginal_s * 1e6:.1f} µs "
            f"| {1 / marginal_s:,.0f} events/s | {small['process_s']:.1f} s |"
        )
    spark_us = doc["spark_collect_s"] / doc["events"] * 1e6
    print(f"\nSpark transform + collect of the same {doc['events']:,} rows: {doc['spark_collect_s']:.2f} s ", end="")
    print(f"({spark_us:.1f} µs per row)")


if __name__ == "__main__":
    sys.exit(main())
