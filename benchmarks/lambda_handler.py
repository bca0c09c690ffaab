"""The AWS Lambda example (examples/lambda/handler.py): cold start, time per record, and layer size.

Cold start is measured in a fresh interpreter per run, as a new execution environment
starts: the handler module imported with ``SPINDRIFT_MODEL_DIR`` set (which loads the model),
then the first invocation on one record. Time per record comes from invoking the warm handler
with Kinesis events of 1, 100 (Lambda's default batch size) and 1,000 records, beside Spark
transforming the same rows (``createDataFrame`` → ``transform`` → ``collect``) in the same run.
The layer size is the unzipped size of the files ``sparkml-runtime`` and its dependencies
install, against Lambda's 250 MB limit. Prints a markdown table and writes
``build/bench/lambda.json``.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.runtime import start_spark, tutorial_case, tutorial_rows

HANDLER = Path(__file__).resolve().parents[1] / "examples" / "lambda" / "handler.py"
RESULTS_PATH = Path("build/bench/lambda.json")
LAMBDA_LIMIT_MB = 250.0
LAYER_DISTRIBUTIONS = ("sparkml-runtime", "numpy", "pyarrow", "mmh3")

_COLD_START = """
import importlib.util, json, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["handler"] = module
spec.loader.exec_module(module)
init = time.perf_counter() - started
event = json.loads(sys.argv[2])
first = time.perf_counter()
module.handler(event, None)
print(json.dumps({"init_s": init, "first_invoke_s": time.perf_counter() - first}))
"""


def kinesis_event(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A Kinesis event in Lambda's shape, one record per row."""
    records = []
    for i, row in enumerate(rows):
        sequence = str(49590338271490256608559692538361571095921575989136588898 + i)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": str(i),
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(json.dumps(row).encode()).decode(),
                    "approximateArrivalTimestamp": 1545084650.987,
                },
                "eventSource": "aws:kinesis",
                "eventName": "aws:kinesis:record",
                "eventID": f"shardId-000000000000:{sequence}",
            }
        )
    return {"Records": records}


def cold_starts(model_dir: Path, runs: int) -> list[dict[str, float]]:
    """Init and first-invocation times of ``runs`` fresh interpreters."""
    env = {**os.environ, "SPINDRIFT_MODEL_DIR": str(model_dir)}
    event = json.dumps(kinesis_event(tutorial_rows(1)))
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _COLD_START, str(HANDLER), event],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def warm_handler(model_dir: Path) -> Any:
    """The handler module loaded in this process (the model loads at import)."""
    os.environ["SPINDRIFT_MODEL_DIR"] = str(model_dir)
    spec = importlib.util.spec_from_file_location("bench_lambda_handler", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def median_seconds(fn: Any, repeats: int) -> float:
    """The median wall time of ``repeats`` calls of ``fn`` (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def layer_size_mb() -> dict[str, float]:
    """Unzipped MB of the files each layer distribution installs (site-packages of this venv)."""
    sizes = {}
    for name in LAYER_DISTRIBUTIONS:
        dist = metadata.distribution(name)
        total = 0
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file() and "__pycache__" not in path.parts:
                total += path.stat().st_size
        sizes[name] = total / 1e6
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Run the Lambda benchmark, print its table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-starts", type=int, default=5, help="fresh interpreters to time (default 5)")
    parser.add_argument("--repeats", type=int, default=20, help="timed invocations per batch size (default 20)")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help=f"JSON results path (default {RESULTS_PATH})")
    args = parser.parse_args(argv)

    spark = start_spark()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-lambda-") as tmp:
            case = tutorial_case(spark, Path(tmp))
            model_dir = Path(tmp) / "tutorial"
            print(f"cold starts: {args.cold_starts} fresh interpreters...", flush=True)
            colds = cold_starts(model_dir, args.cold_starts)
            module = warm_handler(model_dir)
            batches = []
            for size in (1, 100, 1000):
                rows = tutorial_rows(size, seed=size)
                event = kinesis_event(rows)
                handler_s = median_seconds(lambda event=event: module.handler(event, None), args.repeats)
                frame_rows = [(r["id"], r["text"]) for r in rows]

                def spark_call(frame_rows: list[tuple[int, str]] = frame_rows) -> None:
                    df = spark.createDataFrame(frame_rows, case.schema)
                    case.spark_model.transform(df).select("prediction", "probability").collect()

                spark_s = median_seconds(spark_call, max(3, args.repeats // 4))
                batches.append({"records": size, "handler_s": handler_s, "spark_s": spark_s})
    finally:
        spark.stop()

    sizes = layer_size_mb()
    doc = {
        "cold_start": {
            "init_s_median": statistics.median(c["init_s"] for c in colds),
            "first_invoke_s_median": statistics.median(c["first_invoke_s"] for c in colds),
            "runs": colds,
        },
        "batches": batches,
        "layer_mb": sizes,
        "layer_mb_total": sum(sizes.values()),
        "lambda_limit_mb": LAMBDA_LIMIT_MB,
    }
    print_table(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


def print_table(doc: dict[str, Any]) -> None:
    """The results as markdown tables."""
    cold = doc["cold_start"]
    print("\n## AWS Lambda handler (examples/lambda), tutorial model\n")
    print(f"cold start: init (import + model load) {cold['init_s_median'] * 1000:.0f} ms, ", end="")
    print(f"first invocation {cold['first_invoke_s_median'] * 1000:.1f} ms (median of {len(cold['runs'])})\n")
    print("| records per event | handler per event | per record | Spark per event | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    for b in doc["batches"]:
        per_record_us = b["handler_s"] / b["records"] * 1e6
        print(
            f"| {b['records']:,} | {b['handler_s'] * 1000:.2f} ms | {per_record_us:.1f} µs "
            f"| {b['spark_s'] * 1000:.1f} ms | {b['spark_s'] / b['handler_s']:.0f}× |"
        )
    parts = ", ".join(f"{name} {mb:.1f}" for name, mb in doc["layer_mb"].items())
    print(f"\nlayer, unzipped: {doc['layer_mb_total']:.0f} MB of Lambda's {doc['lambda_limit_mb']:.0f} MB ({parts})")


if __name__ == "__main__":
    sys.exit(main())
