"""HTTP round trip through the gateway beside Spark's one-row transform, in the same run.

    .venv/bin/python -m benchmarks.gateway_roundtrip [--requests N] [--check]

The tutorial pipeline is fitted by Spark here (which also times Spark's one-row
``transform(...).collect()``), published with the registry publisher, and served by one scorer
process behind one gateway process (``spindrift.topology``). One-row requests are then sent one
after another (closed loop, keep-alive) to ``POST /v1/models/{name}/predict`` and to
``POST /v2/models/{name}/infer``, and, for comparison, through the SDK directly. Every answer is
checked. Floor: the HTTP p50 is at least 20× faster than Spark's one-row transform (aim 50×);
``--check`` exits 1 when it is missed. Writes ``build/bench/gateway.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.kafka_roundtrip import TEXTS, fit_tutorial, kafka_cluster, percentile
from spindrift.client import SpindriftClient
from spindrift.kafka.settings import close_producer, make_producer
from spindrift.kafka.topics import ensure_topics
from spindrift.registry.publisher import publish_version
from spindrift.topology import Topology

RESULTS_PATH = Path("build/bench/gateway.json")
FLOOR_X = 20.0


def timed(call: object, count: int) -> list[float]:
    """Milliseconds of ``count`` calls of ``call()`` after 20 warm-up calls."""
    assert callable(call)
    for _ in range(20):
        call()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings


def main(argv: list[str] | None = None) -> int:
    """Measure, print a table, write the JSON; exit 1 with ``--check`` when the floor is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per path (default 300)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when HTTP p50 is not {FLOOR_X:.0f}x Spark's")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        model_dir, spark_p50 = fit_tutorial(Path(tmp))
        name = f"bench-gateway-{uuid.uuid4().hex[:8]}"
        with kafka_cluster() as kafka, Topology(kafka, work_dir=Path(tmp) / "topology") as topology:
            ensure_topics(kafka)
            producer = make_producer(kafka)
            try:
                manifest = {
                    "name": name,
                    "version": 1,
                    "servable": True,
                    "reason": None,
                    "sample_rows": [{"text": TEXTS[0]}],
                }
                publish_version(producer, manifest, model_dir)
            finally:
                close_producer(producer, 5)
            group = f"bench-gw-{uuid.uuid4().hex[:6]}"
            topology.start_scorer(SCORER_GROUP_ID=group)
            gateway = topology.start_gateway(GATEWAY_SCORER_GROUP_ID=group)
            topology.wait_ready(180)
            row = {"text": TEXTS[0]}
            with httpx.Client(base_url=gateway.health_url, timeout=30) as http:

                def v1() -> None:
                    response = http.post(f"/v1/models/{name}/predict", json={"rows": [row]})
                    if response.status_code != 200 or response.json()["version"] != 1:
                        raise AssertionError(f"unexpected /v1 answer {response.status_code}: {response.text}")

                def v2() -> None:
                    body = {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [row["text"]]}]}
                    response = http.post(f"/v2/models/{name}/infer", json=body)
                    if response.status_code != 200 or response.json()["model_version"] != "1":
                        raise AssertionError(f"unexpected /v2 answer {response.status_code}: {response.text}")

                v1_ms = timed(v1, args.requests)
                v2_ms = timed(v2, args.requests)
            with SpindriftClient(kafka) as client:
                sdk_ms = timed(lambda: client.predict(name, [row], timeout=30), args.requests)
    rows = [("HTTP /v1 predict", v1_ms), ("HTTP /v2 infer", v2_ms), ("SDK over Kafka (no HTTP)", sdk_ms)]
    lines = [
        "| path | p50 ms | p99 ms | Spark one-row p50 / p50 |",
        "|---|---|---|---|",
        *(
            f"| {label} | {percentile(ms, 50):.2f} | {percentile(ms, 99):.2f} | {spark_p50 / percentile(ms, 50):.0f}x |"
            for label, ms in rows
        ),
        "",
        f"Spark one-row `transform(...).collect()` in this run: p50 {spark_p50:.1f} ms; "
        f"{args.requests} sequential one-row requests per path; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores.",
    ]
    table = "\n".join(lines)
    print(table)
    http_p50 = percentile(v1_ms, 50)
    floor_ok = spark_p50 / http_p50 >= FLOOR_X
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "gateway_roundtrip",
        "spark_one_row_p50_ms": round(spark_p50, 3),
        "paths": {label: {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)} for label, ms in rows},
        "floor_x": FLOOR_X,
        "floor_ok": floor_ok,
        "table": table,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if not floor_ok:
        print(f"FLOOR MISSED: HTTP p50 {http_p50:.2f} ms is not {FLOOR_X:.0f}x faster than Spark's {spark_p50:.1f} ms")
    return 1 if args.check and not floor_ok else 0


if __name__ == "__main__":
    sys.exit(main())
