"""The PyFlink example (examples/flink/score_events.py): time per event inside Flink, row-at-a-time against vectorised.

    make bench                                   # with the other benchmarks (needs `make flink-env`)
    .venv/bin/python -m benchmarks.flink_job [--events 50000]

Each variant runs the job for real on Flink's local mini-cluster (parallelism 1) with
``.venv-flink/bin/python``, on a file of tutorial events, into Flink's print sink (discarded
here). Figures per variant, from the job's ``--timings`` and its report:

- scoring time per event inside the Python function (seconds spent in ``enrich``: JSON
  decoding, the pipeline, JSON encoding, over the events scored), and per call (one event,
  or one Arrow batch of up to 1,000);
- the steady-state time per event and throughput: from the start of the function's first
  call to the end of its last, over the events; Flink's back-pressure holds the function to
  the pace of the whole job, so this includes reading, shipping events to the Python worker
  and back, and the sink, and leaves out start-up;
- Flink's net runtime of the job (from submission to the end, including task deployment and
  the Python workers' start) and the process's wall time (plus the JVM's start).

One more run collects the row variant's events to the client (``--sink collect``, as the
test does), to show what pulling each event through py4j costs.
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
# (name, job options): the row variant in Flink's two Python execution modes, the pandas UDF,
# and the row variant again with the client collecting every event.
VARIANTS = [
    ("row, process mode", ["--variant", "row", "--sink", "print"]),
    ("row, thread mode", ["--variant", "row", "--execution-mode", "thread", "--sink", "print"]),
    ("vectorised (pandas UDF)", ["--variant", "vectorised", "--sink", "print"]),
    ("row, process mode, collected to the client", ["--variant", "row", "--sink", "collect"]),
]


def write_events(path: Path, count: int) -> Path:
    """A JSON-lines file of ``count`` tutorial events."""
    path.write_text("".join(json.dumps(r) + "\n" for r in tutorial_rows(count, seed=count)), encoding="utf-8")
    return path


def run_job(model_dir: Path, events: Path, options: list[str], workdir: Path) -> dict[str, Any]:
    """One run of the job: its wall time, its own timings (see the module docstring) and the tasks'."""
    timings = workdir / f"timings-{time.monotonic_ns()}.jsonl"
    output = workdir / "enriched.jsonl"
    command = [str(FLINK_PYTHON), str(JOB), "--model-dir", str(model_dir), "--input", str(events)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--output", str(output), "--timings", str(timings), *options],
        stdout=subprocess.DEVNULL,  # the print sink's events
        stderr=subprocess.PIPE,
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
        "process_s": wall_s,
        "job": job,
        "scored": sum(t["events"] for t in tasks),
        "calls": sum(t["calls"] for t in tasks),
        "busy_s": sum(t["busy_s"] for t in tasks),
        "steady_s": max(t["last_at"] for t in tasks) - min(t["first_at"] for t in tasks),
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
            events = write_events(workdir / "events.jsonl", args.events)
            results = []
            for name, options in VARIANTS:
                print(f"{name}: {args.events:,} events...", flush=True)
                results.append({"variant": name, "options": options, **run_job(model_dir, events, options, workdir)})
    finally:
        spark.stop()

    doc = {"events": args.events, "spark_collect_s": spark_s, "variants": results, "load_average": os.getloadavg()}
    print_table(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


def print_table(doc: dict[str, Any]) -> None:
    """The results as a markdown table."""
    print(f"\n## PyFlink job (examples/flink), tutorial model, parallelism 1, {doc['events']:,} events\n")
    print("| variant | scoring per event | per call | job per event (steady) | throughput | Flink net runtime | wall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for v in doc["variants"]:
        per_event_us = v["busy_s"] / v["scored"] * 1e6
        per_call_ms = v["busy_s"] / v["calls"] * 1e3
        steady_s = v["steady_s"] / v["scored"]
        net = v["job"].get("net_runtime_s")
        print(
            f"| {v['variant']} | {per_event_us:.1f} µs | {per_call_ms:.3f} ms | {steady_s * 1e6:.1f} µs "
            f"| {1 / steady_s:,.0f} events/s | {f'{net:.1f} s' if net is not None else '-'} | {v['process_s']:.1f} s |"
        )
    spark_us = doc["spark_collect_s"] / doc["events"] * 1e6
    print(f"\nSpark transform + collect of the same {doc['events']:,} rows: {doc['spark_collect_s']:.2f} s ", end="")
    print(f"({spark_us:.1f} µs per row); load average {doc['load_average'][0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    sys.exit(main())
