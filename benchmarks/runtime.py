"""sparkml_runtime against Spark, measured in the same run: one-row latency and batch throughput.

    make bench-runtime                       # full run (about two minutes on 2 cores)
    .venv/bin/python -m benchmarks.runtime --quick

Two pipelines, each fitted here by Spark, saved, and loaded by the runtime:

- tutorial: Tokenizer -> HashingTF -> LogisticRegression(maxIter=10, regParam=0.001), fitted on
  the four training documents of Spark's ML pipeline example;
- tabular:  StringIndexer (2 columns) -> OneHotEncoder -> VectorAssembler -> RandomForestClassifier,
  on a synthetic dataset of 2 categorical and 3 numeric columns.

One row: Spark ``model.transform(spark.createDataFrame([row])).collect()`` against the runtime's
``transform_rows([row])``. Batch: Spark ``transform(df).collect()`` of a cached DataFrame against
the runtime's ``transform`` of the same rows as columns and ``transform_rows`` of them as dicts.
Projected batch: Spark ``transform(df).select("prediction", "probability").collect()`` against
the same two calls with ``outputs=["prediction", "probability"]``, which run only the stages
those columns need and build Python values only for them.
Both sides' predictions over the batch are compared, so a fast wrong answer cannot pass.

Wall-clock numbers are what a caller waits; on a shared machine they mostly measure the
neighbours (Spark's JVM threads suffer most). So the CPU time each side burns is reported
too: this process's, plus Spark's JVM's for Spark (read from /proc), per call and per
CPU-second. The JSON records the load average of the run.
Prints a markdown table and writes ``build/bench/runtime.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sparkml_runtime
from sparkml_runtime import SparkMLRuntimeError, load_pipeline

RESULTS_PATH = Path("build/bench/runtime.json")
# Floors this benchmark is held to (tutorial pipeline): one-row p50 speedup and batch speedup.
ONE_ROW_SPEEDUP_FLOOR = 2000.0
BATCH_SPEEDUP_FLOOR = 5.0
# Issue 11's floors for the projected batch, against Spark's select of the same columns.
PROJECTED = ["prediction", "probability"]
PROJECTED_ROWS_SPEEDUP_FLOOR = 10.0
PROJECTED_COLUMNS_SPEEDUP_FLOOR = 20.0


@dataclass(frozen=True)
class Settings:
    """How much to measure: call counts for one-row latency, rows and repeats for batches."""

    spark_warmup: int
    spark_calls: int
    runtime_warmup: int
    runtime_calls: int
    batch_rows: int
    batch_repeats: int


# Spark's one-row latency keeps falling for ~100 calls as the JVM warms up (350 ms -> 210 ms
# here), so it gets a long warmup; the runtime needs only a few hundred calls.
FULL = Settings(
    spark_warmup=60, spark_calls=50, runtime_warmup=500, runtime_calls=5000, batch_rows=100_000, batch_repeats=3
)
QUICK = Settings(
    spark_warmup=2, spark_calls=10, runtime_warmup=100, runtime_calls=1000, batch_rows=20_000, batch_repeats=1
)


@dataclass
class Case:
    """One pipeline to measure: the Spark model, the runtime pipeline (or why it is missing)."""

    name: str
    description: str
    spark_model: Any
    schema: str  # Spark DDL of the input rows
    one_row: dict[str, Any]
    make_rows: Callable[[int], list[dict[str, Any]]]
    runtime: Any = None
    unsupported: str | None = None


@dataclass
class Result:
    """Measurements of one case; None where the runtime could not load the pipeline."""

    name: str
    description: str
    unsupported: str | None = None
    spark_one_row_ms: dict[str, float] = field(default_factory=dict)
    runtime_one_row_us: dict[str, float] = field(default_factory=dict)
    spark_rows_per_s: float | None = None
    runtime_transform_rows_per_s: float | None = None
    runtime_transform_rows_api_rows_per_s: float | None = None
    # CPU cost (Python process + Spark's JVM for Spark): robust when the machine is shared.
    spark_one_row_cpu_ms: float | None = None
    runtime_one_row_cpu_us: float | None = None
    spark_rows_per_cpu_s: float | None = None
    runtime_transform_rows_per_cpu_s: float | None = None
    runtime_transform_rows_api_rows_per_cpu_s: float | None = None
    # Projected batch: Spark select(prediction, probability) vs outputs=[prediction, probability].
    spark_select_rows_per_s: float | None = None
    spark_select_rows_per_cpu_s: float | None = None
    runtime_projected_transform_rows_per_s: float | None = None
    runtime_projected_transform_rows_per_cpu_s: float | None = None
    runtime_projected_transform_rows_api_rows_per_s: float | None = None
    runtime_projected_transform_rows_api_rows_per_cpu_s: float | None = None
    projected_predictions_match: bool | None = None
    batch_rows: int = 0
    predictions_match: bool | None = None


# --- data ------------------------------------------------------------------------------------
TUTORIAL_TRAINING = [
    (0, "a b c d e spark", 1.0),
    (1, "b d", 0.0),
    (2, "spark f g h", 1.0),
    (3, "hadoop mapreduce", 0.0),
]
VOCABULARY = [*"abcdefghijklmn", "spark", "hadoop", "mapreduce", "apache", "streaming", "sql", "engine", "data"]


def tutorial_rows(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Documents of 2 to 12 words drawn from the example's vocabulary."""
    rng = random.Random(seed)
    return [{"id": i, "text": " ".join(rng.choices(VOCABULARY, k=rng.randint(2, 12)))} for i in range(n)]


def tabular_rows(n: int, seed: int = 2) -> list[dict[str, Any]]:
    """Rows with 2 categorical and 3 numeric columns (label added for training)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        color, size = rng.choice(["red", "green", "blue", "purple"]), rng.choice(["S", "M", "L"])
        x1, x2, x3 = rng.gauss(0, 1), rng.uniform(-5, 5), float(rng.randint(0, 20))
        score = x1 + 0.3 * x2 + (1.5 if color == "red" else 0.0) - (1.0 if size == "S" else 0.0) + rng.gauss(0, 0.5)
        rows.append({"color": color, "size": size, "x1": x1, "x2": x2, "x3": x3, "label": float(score > 0.5)})
    return rows


def _without_label(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "label"} for r in rows]


# --- Spark -------------------------------------------------------------------------------------
def start_spark() -> Any:
    """A local[2] SparkSession, as the README's baseline used."""
    from spindrift.spark import start_session

    return start_session("bench-runtime", "local[2]")


def _load_runtime(case: Case, model_dir: Path) -> Case:
    case.spark_model.write().overwrite().save(str(model_dir))
    try:
        case.runtime = load_pipeline(model_dir)
    except SparkMLRuntimeError as exc:
        case.unsupported = str(exc)
    return case


def tutorial_case(spark: Any, workdir: Path) -> Case:
    """Fit the Spark ML pipeline example and load it with the runtime."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, Tokenizer

    train = spark.createDataFrame(TUTORIAL_TRAINING, ["id", "text", "label"])
    tok = Tokenizer(inputCol="text", outputCol="words")
    tf = HashingTF(inputCol="words", outputCol="features")
    model = Pipeline(stages=[tok, tf, LogisticRegression(maxIter=10, regParam=0.001)]).fit(train)
    case = Case(
        name="tutorial",
        description="Tokenizer -> HashingTF -> LogisticRegression",
        spark_model=model,
        schema="id long, text string",
        one_row={"id": 4, "text": "spark i j k"},
        make_rows=tutorial_rows,
    )
    return _load_runtime(case, workdir / "tutorial")


def tabular_case(spark: Any, workdir: Path) -> Case:
    """Fit StringIndexer -> OneHotEncoder -> VectorAssembler -> RandomForestClassifier."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import RandomForestClassifier
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    schema = "color string, size string, x1 double, x2 double, x3 double"
    train = spark.createDataFrame([tuple(r.values()) for r in tabular_rows(2000, seed=3)], schema + ", label double")
    stages: list[Any] = [
        StringIndexer(inputCols=["color", "size"], outputCols=["color_idx", "size_idx"], handleInvalid="keep"),
        OneHotEncoder(inputCols=["color_idx", "size_idx"], outputCols=["color_vec", "size_vec"]),
        VectorAssembler(inputCols=["color_vec", "size_vec", "x1", "x2", "x3"], outputCol="features"),
        RandomForestClassifier(numTrees=20, maxDepth=5, seed=7),
    ]
    case = Case(
        name="tabular",
        description="StringIndexer -> OneHotEncoder -> VectorAssembler -> RandomForest(20 trees)",
        spark_model=Pipeline(stages=stages).fit(train),
        schema=schema,
        one_row={"color": "red", "size": "M", "x1": 0.3, "x2": -1.2, "x3": 7.0},
        make_rows=lambda n: _without_label(tabular_rows(n)),
    )
    return _load_runtime(case, workdir / "tabular")


# --- measuring ---------------------------------------------------------------------------------
class CpuClock:
    """CPU seconds used so far by this process and, when given, Spark's JVM (all threads).

    Wall time on a shared machine mostly measures the neighbours; CPU time is what a call
    costs, wherever it runs (the JVM does Spark's work, this process the runtime's).
    """

    def __init__(self, jvm_pid: int | None = None) -> None:
        self.jvm_pid = jvm_pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        total = time.process_time()
        if self.jvm_pid is not None:
            # /proc/<pid>/stat fields 14 and 15: user and system time in clock ticks.
            fields = Path(f"/proc/{self.jvm_pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / self.ticks
        return total


def spark_cpu_clock(spark: Any) -> CpuClock:
    """A clock that adds the CPU time of the JVM pyspark started (this process's only, if unknown)."""
    proc = getattr(getattr(spark.sparkContext, "_gateway", None), "proc", None)
    pid = getattr(proc, "pid", None)
    if pid is None or not Path(f"/proc/{pid}/stat").exists():
        print("note: Spark's JVM was not found; its CPU time is not counted", file=sys.stderr)
        return CpuClock()
    return CpuClock(pid)


def time_calls(fn: Callable[[], Any], calls: int, warmup: int, cpu: CpuClock) -> tuple[np.ndarray, float]:
    """Wall seconds of each of ``calls`` calls of ``fn`` (after ``warmup`` untimed ones), and their CPU seconds."""
    for _ in range(warmup):
        fn()
    samples = np.empty(calls)
    clock = time.perf_counter
    cpu_start = cpu()
    for i in range(calls):
        start = clock()
        fn()
        samples[i] = clock() - start
    return samples, cpu() - cpu_start


def summarise(samples: np.ndarray, scale: float) -> dict[str, float]:
    """p50/p99/mean of timing samples, multiplied by ``scale`` (1e3 for ms, 1e6 for µs)."""
    return {
        "p50": float(np.percentile(samples, 50) * scale),
        "p99": float(np.percentile(samples, 99) * scale),
        "mean": float(samples.mean() * scale),
        "calls": float(samples.size),
    }


def measure_one_row(spark: Any, case: Case, settings: Settings, result: Result) -> None:
    """One-row latency of Spark and (if loaded) of the runtime."""
    row = tuple(case.one_row.values())
    model = case.spark_model

    def spark_call() -> Any:
        return model.transform(spark.createDataFrame([row], case.schema)).collect()

    samples, cpu_s = time_calls(spark_call, settings.spark_calls, settings.spark_warmup, spark_cpu_clock(spark))
    result.spark_one_row_ms = summarise(samples, 1e3)
    result.spark_one_row_cpu_ms = cpu_s / settings.spark_calls * 1e3
    if case.runtime is None:
        return
    rows = [case.one_row]
    transform_rows = case.runtime.transform_rows
    samples, cpu_s = time_calls(
        lambda: transform_rows(rows), settings.runtime_calls, settings.runtime_warmup, CpuClock()
    )
    result.runtime_one_row_us = summarise(samples, 1e6)
    result.runtime_one_row_cpu_us = cpu_s / settings.runtime_calls * 1e6


def measure_batch(spark: Any, case: Case, settings: Settings, result: Result) -> None:
    """Rows per second: Spark transform+collect, runtime transform (columns) and transform_rows."""
    rows = case.make_rows(settings.batch_rows)
    result.batch_rows = len(rows)
    df = spark.createDataFrame([tuple(r.values()) for r in rows], case.schema).cache()
    df.count()  # materialise the cache so only transform + collect is timed
    collected: list[Any] = []

    def spark_call() -> None:
        collected[:] = case.spark_model.transform(df).collect()

    spark_s, cpu_s = time_calls(spark_call, settings.batch_repeats, 1, spark_cpu_clock(spark))
    result.spark_rows_per_s = len(rows) / float(np.median(spark_s))
    result.spark_rows_per_cpu_s = len(rows) * settings.batch_repeats / cpu_s
    spark_pred = np.array([r["prediction"] for r in collected])

    def spark_select() -> None:
        collected[:] = case.spark_model.transform(df).select(*PROJECTED).collect()

    spark_s, cpu_s = time_calls(spark_select, settings.batch_repeats, 1, spark_cpu_clock(spark))
    result.spark_select_rows_per_s = len(rows) / float(np.median(spark_s))
    result.spark_select_rows_per_cpu_s = len(rows) * settings.batch_repeats / cpu_s
    df.unpersist()
    if case.runtime is None:
        return
    columns = {name: [r[name] for r in rows] for name in rows[0]}
    out: dict[str, Any] = {}

    def runtime_columns() -> None:
        out.update(case.runtime.transform(columns))

    wall, cpu_s = time_calls(runtime_columns, settings.batch_repeats, 1, CpuClock())
    result.runtime_transform_rows_per_s = len(rows) / float(np.median(wall))
    result.runtime_transform_rows_per_cpu_s = len(rows) * settings.batch_repeats / cpu_s
    wall, cpu_s = time_calls(lambda: case.runtime.transform_rows(rows), settings.batch_repeats, 1, CpuClock())
    result.runtime_transform_rows_api_rows_per_s = len(rows) / float(np.median(wall))
    result.runtime_transform_rows_api_rows_per_cpu_s = len(rows) * settings.batch_repeats / cpu_s
    result.predictions_match = bool(np.array_equal(np.asarray(out["prediction"], dtype=float), spark_pred))
    measure_projected(case, settings, result, rows, columns, spark_pred)


def measure_projected(
    case: Case,
    settings: Settings,
    result: Result,
    rows: list[dict[str, Any]],
    columns: dict[str, list[Any]],
    spark_pred: np.ndarray,
) -> None:
    """Rows per second of ``transform`` and ``transform_rows`` asked only for PROJECTED."""
    out: dict[str, Any] = {}

    def runtime_columns() -> None:
        out.update(case.runtime.transform(columns, outputs=PROJECTED))

    wall, cpu_s = time_calls(runtime_columns, settings.batch_repeats, 1, CpuClock())
    result.runtime_projected_transform_rows_per_s = len(rows) / float(np.median(wall))
    result.runtime_projected_transform_rows_per_cpu_s = len(rows) * settings.batch_repeats / cpu_s
    scored: list[Any] = []

    def runtime_rows() -> None:
        scored[:] = case.runtime.transform_rows(rows, outputs=PROJECTED)

    wall, cpu_s = time_calls(runtime_rows, settings.batch_repeats, 1, CpuClock())
    result.runtime_projected_transform_rows_api_rows_per_s = len(rows) / float(np.median(wall))
    result.runtime_projected_transform_rows_api_rows_per_cpu_s = len(rows) * settings.batch_repeats / cpu_s
    by_rows = np.array([r["prediction"] for r in scored], dtype=float)
    result.projected_predictions_match = bool(
        np.array_equal(np.asarray(out["prediction"], dtype=float), spark_pred) and np.array_equal(by_rows, spark_pred)
    )


# --- reporting ---------------------------------------------------------------------------------
def _speedup(spark: float | None, runtime: float | None, *, higher_is_better: bool) -> str:
    if not spark or not runtime:
        return "n/a"
    return f"{(runtime / spark if higher_is_better else spark / runtime):,.0f}×"


def render_table(results: list[Result]) -> str:
    """The results as a markdown table, one measure per row with the runtime's speedup."""
    lines = [
        "| pipeline | measure | Spark | sparkml_runtime | speedup |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        na = f"n/a (unsupported: {r.unsupported})" if r.unsupported else None
        for q in ("p50", "p99"):
            spark_ms = r.spark_one_row_ms.get(q)
            ours_us = r.runtime_one_row_us.get(q)
            ours = na or f"{ours_us:,.1f} µs"
            speed = "n/a" if na else _speedup(spark_ms, (ours_us or 0) / 1e3, higher_is_better=False)
            lines.append(f"| {r.name} | one row, {q} | {spark_ms:,.1f} ms | {ours} | {speed} |")
        for label, value in (
            ("transform (columns)", r.runtime_transform_rows_per_s),
            ("transform_rows (dicts)", r.runtime_transform_rows_api_rows_per_s),
        ):
            ours = na or f"{value:,.0f} rows/s"
            speed = "n/a" if na else _speedup(r.spark_rows_per_s, value, higher_is_better=True)
            lines.append(
                f"| {r.name} | batch of {r.batch_rows:,}, {label} | {r.spark_rows_per_s:,.0f} rows/s | {ours} | {speed} |"
            )
        # Projected: Spark's select of the same columns is the baseline.
        for label, value in (
            ("transform (columns)", r.runtime_projected_transform_rows_per_s),
            ("transform_rows (dicts)", r.runtime_projected_transform_rows_api_rows_per_s),
        ):
            ours = na or f"{value or 0:,.0f} rows/s"
            speed = "n/a" if na else _speedup(r.spark_select_rows_per_s, value, higher_is_better=True)
            lines.append(
                f"| {r.name} | batch of {r.batch_rows:,}, {label}, outputs={'+'.join(PROJECTED)} "
                f"| {r.spark_select_rows_per_s or 0:,.0f} rows/s (select) | {ours} | {speed} |"
            )
        # CPU cost: what each side burns per call / per CPU-second, whatever else the machine runs.
        ours = na or f"{r.runtime_one_row_cpu_us or 0:,.1f} µs"
        speed = (
            "n/a"
            if na
            else _speedup(r.spark_one_row_cpu_ms, (r.runtime_one_row_cpu_us or 0) / 1e3, higher_is_better=False)
        )
        lines.append(
            f"| {r.name} | one row, CPU per call (mean) | {r.spark_one_row_cpu_ms or 0:,.1f} ms | {ours} | {speed} |"
        )
        for label, value in (
            ("transform (columns)", r.runtime_transform_rows_per_cpu_s),
            ("transform_rows (dicts)", r.runtime_transform_rows_api_rows_per_cpu_s),
        ):
            ours = na or f"{value or 0:,.0f} rows/CPU-s"
            speed = "n/a" if na else _speedup(r.spark_rows_per_cpu_s, value, higher_is_better=True)
            lines.append(
                f"| {r.name} | batch, {label}, per CPU-second | {r.spark_rows_per_cpu_s or 0:,.0f} rows/CPU-s | {ours} | {speed} |"
            )
        for label, value in (
            ("transform (columns)", r.runtime_projected_transform_rows_per_cpu_s),
            ("transform_rows (dicts)", r.runtime_projected_transform_rows_api_rows_per_cpu_s),
        ):
            ours = na or f"{value or 0:,.0f} rows/CPU-s"
            speed = "n/a" if na else _speedup(r.spark_select_rows_per_cpu_s, value, higher_is_better=True)
            lines.append(
                f"| {r.name} | batch, {label}, outputs={'+'.join(PROJECTED)}, per CPU-second "
                f"| {r.spark_select_rows_per_cpu_s or 0:,.0f} rows/CPU-s (select) | {ours} | {speed} |"
            )
    return "\n".join(lines)


def check_floors(results: list[Result]) -> list[str]:
    """Messages for each floor the tutorial pipeline misses (empty when all are met)."""
    misses = []
    for r in results:
        if r.name != "tutorial":
            continue
        if r.unsupported:
            return [f"tutorial pipeline did not load: {r.unsupported}"]
        one_row = r.spark_one_row_ms["p50"] * 1e3 / r.runtime_one_row_us["p50"]
        if one_row < ONE_ROW_SPEEDUP_FLOOR:
            misses.append(f"one-row p50 speedup {one_row:,.0f}× is below {ONE_ROW_SPEEDUP_FLOOR:,.0f}×")
        batch = (r.runtime_transform_rows_per_s or 0) / (r.spark_rows_per_s or 1)
        if batch < BATCH_SPEEDUP_FLOOR:
            misses.append(f"batch speedup {batch:,.1f}× is below {BATCH_SPEEDUP_FLOOR:,.0f}×")
        if r.predictions_match is False:
            misses.append("runtime predictions differ from Spark's")
        select = r.spark_select_rows_per_s or 1
        for label, value, floor in (
            ("transform_rows", r.runtime_projected_transform_rows_api_rows_per_s, PROJECTED_ROWS_SPEEDUP_FLOOR),
            ("transform", r.runtime_projected_transform_rows_per_s, PROJECTED_COLUMNS_SPEEDUP_FLOOR),
        ):
            speedup = (value or 0) / select
            if speedup < floor:
                misses.append(f"projected {label} speedup {speedup:,.1f}× over Spark's select is below {floor:,.0f}×")
        if r.projected_predictions_match is False:
            misses.append("projected runtime predictions differ from Spark's")
    return misses


def _environment(spark: Any) -> dict[str, Any]:
    import pyspark

    return {
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "spark_master": spark.sparkContext.master,
        "numpy": np.__version__,
        "sparkml_runtime": sparkml_runtime.__version__,
        "cpus": os.cpu_count(),
        # Other work on the machine slows Spark's side most; the load average says how busy it was.
        "load_average_1m": os.getloadavg()[0],
        "machine": platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both cases, print the table, write the JSON; exit 1 when ``--check`` finds a missed floor."""
    parser = argparse.ArgumentParser(description="sparkml_runtime vs Spark: one-row latency and batch throughput")
    parser.add_argument("--quick", action="store_true", help="fewer calls and a 20k-row batch (a smoke run)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the tutorial pipeline misses a floor")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help=f"JSON results file (default {RESULTS_PATH})")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL

    load_at_start = os.getloadavg()
    spark = start_spark()
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
            for build in (tutorial_case, tabular_case):
                case = build(spark, Path(tmp))
                result = Result(name=case.name, description=case.description, unsupported=case.unsupported)
                print(f"measuring {case.name}: {case.description}", file=sys.stderr)
                measure_one_row(spark, case, settings, result)
                measure_batch(spark, case, settings, result)
                results.append(result)
        env = _environment(spark)
    finally:
        spark.stop()

    print(render_table(results))
    load_at_end = os.getloadavg()
    print(f"load average (1/5/15 min) at start {load_at_start}, at end {load_at_end} on {os.cpu_count()} CPUs")
    env["load_average_at_start"] = list(load_at_start)
    env["load_average_at_end"] = list(load_at_end)
    misses = check_floors(results)
    for msg in misses:
        print(f"FLOOR MISSED: {msg}")
    for r in results:
        if r.predictions_match is False or r.projected_predictions_match is False:
            print(f"WARNING: {r.name}: runtime predictions differ from Spark's on the batch")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "environment": env,
        "settings": asdict(settings),
        "floors": {
            "one_row_speedup": ONE_ROW_SPEEDUP_FLOOR,
            "batch_speedup": BATCH_SPEEDUP_FLOOR,
            "projected_transform_rows_speedup": PROJECTED_ROWS_SPEEDUP_FLOOR,
            "projected_transform_speedup": PROJECTED_COLUMNS_SPEEDUP_FLOOR,
            "missed": misses,
        },
        "results": [asdict(r) for r in results],
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}", file=sys.stderr)
    return 1 if args.check and misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
