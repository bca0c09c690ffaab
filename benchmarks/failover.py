"""Scorer failover under load: two scorers, one-row requests at a steady rate, ``kill -9`` of one.

    .venv/bin/python -m benchmarks.failover [range,roundrobin/10000 cooperative-sticky/6000 ...]

Each argument is ``ASSIGNMENT_STRATEGY/SESSION_TIMEOUT_MS`` (default: the scorer's settings). For
each, two ``python -m services.scorer`` processes share a 4-partition topic; requests go out at
150 req/s; after 5 s one scorer is killed with SIGKILL and the load goes on for 25 s. Prints, per
configuration, requests sent, lost (no reply within 40 s), the worst and p99 client round trip,
and how many took longer than the SDK's default 10 s timeout. A measurement, not a test: the
numbers depend on the machine and the broker.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path

from spindrift.client import Prediction, SpindriftClient
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version
from tests.scorer.processes import ScorerProcess, scorer_env, wait_for_partitions

from .kafka_roundtrip import TEXTS, fit_tutorial, kafka_cluster, percentile

RATE = 150.0
BEFORE_KILL_S = 5.0
AFTER_KILL_S = 25.0
SDK_TIMEOUT_S = 10.0


def measure(kafka: KafkaSettings, model: str, workdir: Path, strategy: str | None, session_ms: str | None) -> dict:
    """One configuration: start two scorers, load them, kill one, collect every reply."""
    suffix = uuid.uuid4().hex[:6]
    topic, dlq = f"score.requests.failover-{suffix}", f"score.dlq.failover-{suffix}"
    ensure_topics(kafka, [TopicSpec(topic, 4), TopicSpec(dlq, 1)])
    overrides = {"group_id": f"failover-{suffix}", "requests_topic": topic, "dlq_topic": dlq}
    if strategy:
        overrides["assignment_strategy"] = strategy
    if session_ms:
        overrides["session_timeout_ms"] = session_ms
    env = scorer_env(kafka, **overrides)
    scorers = [ScorerProcess(f"failover-{n}-{suffix}", workdir, env) for n in "ab"]
    client = SpindriftClient(kafka, requests_topic=topic)
    sent: list[Future[Prediction]] = []
    stop = threading.Event()

    def load() -> None:
        due = time.monotonic()
        while not stop.is_set():
            rows = [{"id": len(sent), "text": TEXTS[len(sent) % len(TEXTS)]}]
            sent.append(client.predict_async(model, rows, timeout=4 * SDK_TIMEOUT_S))
            due += 1.0 / RATE
            stop.wait(max(0.0, due - time.monotonic()))  # open loop at a steady rate

    try:
        for scorer in scorers:
            scorer.wait_ready()
        wait_for_partitions(scorers, 4)
        sender = threading.Thread(target=load, daemon=True)
        sender.start()
        stop.wait(BEFORE_KILL_S)
        scorers[0].kill_9()
        stop.wait(AFTER_KILL_S)
        stop.set()
        sender.join(10)
        latencies, lost = [], 0
        for future in sent:
            try:
                latencies.append(future.result(timeout=4 * SDK_TIMEOUT_S + 5).latency_ms / 1000.0)
            except Exception:
                lost += 1
    finally:
        stop.set()
        client.close()
        for scorer in scorers:
            scorer.terminate()
    return {
        "strategy": strategy or "(setting)",
        "session_timeout_ms": session_ms or "(setting)",
        "requests": len(sent),
        "lost": lost,
        "worst_s": round(max(latencies), 2),
        "p99_s": round(percentile(latencies, 99), 3),
        f"over_{SDK_TIMEOUT_S:g}_s": sum(1 for s in latencies if s > SDK_TIMEOUT_S),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure each configuration given on the command line and print one JSON line each."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.failover", description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="*", help="STRATEGY/SESSION_TIMEOUT_MS, e.g. cooperative-sticky/6000")
    args = parser.parse_args(argv)
    configs = [tuple(c.split("/", 1)) for c in args.configs] or [(None, None)]
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        workdir = Path(tmp)
        model_dir, _spark_p50 = fit_tutorial(workdir)
        model = f"failover-{uuid.uuid4().hex[:8]}"
        with kafka_cluster() as kafka:
            ensure_topics(kafka)
            producer = make_producer(kafka)
            try:
                manifest = {
                    "name": model,
                    "version": 1,
                    "servable": True,
                    "reason": None,
                    "sample_rows": [{"id": 0, "text": TEXTS[0]}],
                }
                publish_version(producer, manifest, model_dir)
            finally:
                close_producer(producer, 5)
            for strategy, session_ms in configs:
                print(json.dumps(measure(kafka, model, workdir, strategy, session_ms)), flush=True)


if __name__ == "__main__":
    main()
