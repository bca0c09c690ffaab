"""Kafka round trip: client → score.requests → scorer process(es) → reply topic → client.

    make bench                                      # part of every benchmark
    .venv/bin/python -m benchmarks.kafka_roundtrip  [--quick]

The tutorial pipeline (Tokenizer → HashingTF → LogisticRegression(maxIter=10, regParam=0.001))
is fitted here by Spark, saved, and published with the registry publisher. For 1 and 2 scorer
processes (``python -m services.scorer``), with micro-batching on and off, it measures:

- latency at a fixed low rate: one-row requests sent open-loop at 100 req/s by
  :class:`spindrift.client.SpindriftClient`; p50/p99 of the client-side round trip;
- throughput (scorer capacity): a backlog of one-row requests, encoded ahead and produced
  faster than the scorers drain it; rows answered per second from first send to last reply.

Every reply is checked (a prediction from the published version), so a fast wrong answer or a
lost request fails the run. For reference, the same row scored by Spark's own one-row
``transform(...).collect()`` in this process. Uses ``KAFKA_BOOTSTRAP_SERVERS`` when set, else
an embedded broker. Prints a markdown table and writes ``build/bench/kafka.json``.
Floor: p50 ≤ 10 ms at 100 req/s with batching on (``--check`` exits 1 when missed). The 1-minute
load average is recorded: on a shared 2-core machine other processes dominate these numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import TopicPartition as ConfluentPartition
from kafka import TopicPartition

from spindrift import wire
from spindrift.client import Prediction, SpindriftClient
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings, close_producer, make_consumer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version
from tests.kafka_user import user_consumer, user_producer
from tests.scorer.processes import ScorerProcess, scorer_env, wait_for_partitions

RESULTS_PATH = Path("build/bench/kafka.json")
P50_FLOOR_MS = 10.0
RATE_PER_S = 100.0
PARTITIONS = 4
TEXTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop", "b d spark", "hadoop f g"]
TRAINING = [(0, "a b c d e spark", 1.0), (1, "b d", 0.0), (2, "spark f g h", 1.0), (3, "hadoop mapreduce", 0.0)]


@dataclass(frozen=True)
class Plan:
    """How much to measure per configuration."""

    latency_seconds: float
    warmup_requests: int
    throughput_requests: int


FULL = Plan(latency_seconds=20.0, warmup_requests=300, throughput_requests=20_000)
QUICK = Plan(latency_seconds=5.0, warmup_requests=100, throughput_requests=5_000)


@dataclass
class Result:
    """One configuration's numbers."""

    scorers: int
    batching: bool
    latency_requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    throughput_requests: int
    rows_per_s: float
    mean_batch_requests: float
    scorer_p50_ms: float


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@contextmanager
def kafka_cluster() -> Iterator[KafkaSettings]:
    """The cluster named by KAFKA_BOOTSTRAP_SERVERS, else an embedded single-node broker."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield KafkaSettings()
        return
    from spindrift.kafka.embedded import EmbeddedKafka

    with EmbeddedKafka() as broker:
        yield broker.settings()


def fit_tutorial(workdir: Path) -> tuple[Path, float]:
    """Fit and save the tutorial pipeline with Spark; returns (model dir, Spark one-row p50 ms)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, Tokenizer

    from spindrift.spark import start_session

    spark = start_session("bench-kafka", "local[1]")
    try:
        train = spark.createDataFrame(TRAINING, ["id", "text", "label"])
        stages = [
            Tokenizer(inputCol="text", outputCol="words"),
            HashingTF(inputCol="words", outputCol="features"),
            LogisticRegression(maxIter=10, regParam=0.001),
        ]
        model = Pipeline(stages=stages).fit(train)  # type: ignore[arg-type]
        path = workdir / "tutorial"
        model.write().overwrite().save(str(path))
        timings = []
        for i in range(25):
            started = time.perf_counter()
            model.transform(spark.createDataFrame([(i, TEXTS[i % len(TEXTS)])], ["id", "text"])).collect()
            timings.append((time.perf_counter() - started) * 1000.0)
        return path, statistics.median(timings[5:])
    finally:
        spark.stop()


def check(prediction: Prediction) -> None:
    """A reply must carry a real prediction from version 1."""
    if prediction.version != 1 or not prediction.rows or prediction.rows[0].get("prediction") not in (0.0, 1.0):
        raise AssertionError(f"unexpected reply {prediction}")


def measure_latency(client: SpindriftClient, model: str, seconds: float) -> list[Prediction]:
    """Open-loop one-row requests at RATE_PER_S for ``seconds``; every reply is awaited and checked."""
    n = int(seconds * RATE_PER_S)
    futures: list[Future[Prediction]] = []
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / RATE_PER_S - time.perf_counter()
        if delay > 0:
            time.sleep(delay)  # the fixed send schedule of an open-loop load
        futures.append(client.predict_async(model, [{"id": i, "text": TEXTS[i % len(TEXTS)]}], timeout=30))
    out = [f.result(timeout=40) for f in futures]
    for p in out:
        check(p)
    return out


def measure_throughput(kafka: KafkaSettings, topic: str, model: str, total: int) -> float:
    """Scorer capacity: a backlog of one-row requests produced faster than it drains; returns rows/s.

    Requests are encoded ahead and sent by a batching producer, so the Python client is not what is
    measured; replies are counted (and every 50th decoded and checked) on a private reply topic.
    Rate = requests / (last reply − first send).
    """
    reply_topic = f"bench.replies-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka, [TopicSpec(reply_topic, 1)])
    # The backlog is written and its replies read by a user's client (kafka-python), the same
    # load generator before and after Spindrift moved to librdkafka: the scorers are what is measured.
    consumer = user_consumer(kafka, max_poll_records=5_000)
    tp = TopicPartition(reply_topic, 0)
    consumer.assign([tp])
    consumer.seek_to_end(tp)
    consumer.position(tp)
    values = [
        wire.encode(
            "ScoreRequest",
            {
                "request_id": f"t{i}",
                "model": model,
                "version": None,
                "rows": [{"id": i, "text": TEXTS[i % len(TEXTS)]}],
                "reply_topic": reply_topic,
                "sent_at_ms": None,
            },
        )
        for i in range(total)
    ]
    headers = [(kh.REPLY_TOPIC, reply_topic.encode())]
    producer = user_producer(kafka, linger_ms=5, batch_size=256 * 1024, acks=1)
    answered: set[bytes] = set()
    last_reply = 0.0
    try:
        start = time.perf_counter()
        for i, value in enumerate(values):
            producer.send(topic, value=value, key=f"t{i}".encode(), headers=headers)
        producer.flush(timeout=120)
        deadline = time.monotonic() + 300
        while len(answered) < total:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(answered)} of {total} throughput requests answered")
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    answered.add(record.key)
                    if len(answered) % 50 == 0:
                        _name, reply = wire.decode(record.value, record.headers, expected="ScoreReply")
                        if reply["version"] != 1 or "rows" not in reply["outcome"]:
                            raise AssertionError(f"unexpected reply {reply}")
                last_reply = time.perf_counter()
    finally:
        producer.close()
        consumer.close()
    return total / (last_reply - start)


def measure_hop(kafka: KafkaSettings, seconds: float) -> float:
    """p50 ms of one produce → consume hop at RATE_PER_S with the round trip's clients: the floor under a round trip.

    The client and the scorers use confluent-kafka (librdkafka) producers and consumers with the
    defaults of :func:`make_producer` / :func:`make_consumer`, so the hop does too.
    """
    topic = f"bench.hop-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka, [TopicSpec(topic, 1)])
    producer = make_producer(kafka)
    consumer = make_consumer(kafka)
    _low, high = consumer.get_watermark_offsets(ConfluentPartition(topic, 0), timeout=30)
    consumer.assign([ConfluentPartition(topic, 0, high)])
    n = int(seconds * RATE_PER_S)
    sent: dict[bytes, float] = {}
    received: dict[bytes, float] = {}

    def read() -> None:
        deadline = time.monotonic() + seconds + 30
        while len(received) < n and time.monotonic() < deadline:
            message = consumer.poll(0.05)
            if message is not None and message.error() is None:
                received[bytes(message.value() or b"")] = time.perf_counter()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        start = time.perf_counter()
        for i in range(n):
            delay = start + i / RATE_PER_S - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # the same open-loop schedule as the round trip
            value = b"%d" % i
            sent[value] = time.perf_counter()
            producer.produce(topic, value=value)
            producer.poll(0)  # serve delivery reports as the client's reply thread does
        reader.join()
    finally:
        close_producer(producer, 30)
        consumer.close()
    if len(received) < n:
        raise AssertionError(f"only {len(received)} of {n} hop messages arrived")
    return statistics.median((received[v] - t) * 1000.0 for v, t in sent.items())


def mean_batch(scorers: list[ScorerProcess]) -> float:
    """Requests per micro-batch over the whole run, from the scorers' own histograms."""
    total = count = 0.0
    for proc in scorers:
        for line in proc.http_text("/metrics").splitlines():
            if line.startswith("spindrift_scorer_batch_requests_sum"):
                total += float(line.split()[-1])
            elif line.startswith("spindrift_scorer_batch_requests_count"):
                count += float(line.split()[-1])
    return total / count if count else 0.0


def run_config(kafka: KafkaSettings, model: str, scorers: int, batching: bool, plan: Plan, logs: Path) -> Result:
    """Start ``scorers`` processes on a fresh requests topic, measure, stop them."""
    suffix = uuid.uuid4().hex[:8]
    topic = f"score.requests.bench-{suffix}"
    ensure_topics(kafka, [TopicSpec(topic, PARTITIONS)])
    env = scorer_env(kafka, group_id=f"bench-{suffix}", requests_topic=topic, batching=str(batching).lower())
    procs = [ScorerProcess(f"bench-{suffix}-{i}", logs, env) for i in range(scorers)]
    try:
        for proc in procs:
            proc.wait_ready(timeout=120)
        wait_for_partitions(procs, total=PARTITIONS)
        with SpindriftClient(kafka, requests_topic=topic) as client:
            for i in range(plan.warmup_requests):
                check(client.predict(model, [{"id": i, "text": TEXTS[i % len(TEXTS)]}], timeout=30))
            latency = measure_latency(client, model, plan.latency_seconds)
        rows_per_s = measure_throughput(kafka, topic, model, plan.throughput_requests)
        round_trips = [p.latency_ms for p in latency]
        return Result(
            scorers=scorers,
            batching=batching,
            latency_requests=len(latency),
            p50_ms=round(percentile(round_trips, 50), 3),
            p99_ms=round(percentile(round_trips, 99), 3),
            max_ms=round(max(round_trips), 3),
            throughput_requests=plan.throughput_requests,
            rows_per_s=round(rows_per_s, 1),
            mean_batch_requests=round(mean_batch(procs), 2),
            scorer_p50_ms=round(percentile([p.scorer_latency_ms or 0.0 for p in latency], 50), 3),
        )
    finally:
        for proc in procs:
            proc.terminate()


def markdown(results: list[Result], spark_p50_ms: float, hop_p50_ms: float) -> str:
    """The results as a markdown table."""
    lines = [
        f"Kafka round trip, tutorial pipeline, one-row requests ({platform.machine()}, {os.cpu_count()} cores)",
        "",
        "| scorers | batching | p50 ms @100 req/s | p99 ms @100 req/s | in-scorer p50 ms | max rows/s | mean requests/batch |",
        "|---:|:---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scorers} | {'on' if r.batching else 'off'} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.scorer_p50_ms:.2f} | {r.rows_per_s:,.0f} | {r.mean_batch_requests:.1f} |"
        )
    lines += [
        "",
        f"One Kafka hop (produce → consume, same clients, {RATE_PER_S:.0f} msg/s): p50 {hop_p50_ms:.2f} ms; "
        "a round trip is two hops plus the scorer.",
        f"Spark one-row `transform(...).collect()` in this run (no Kafka): p50 {spark_p50_ms:.1f} ms.",
        f"Floor: p50 ≤ {P50_FLOOR_MS:.0f} ms at {RATE_PER_S:.0f} req/s.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every configuration, print the table, write the JSON; exit 1 when ``--check`` finds a missed floor."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about a minute per configuration less)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a batching-on p50 misses the floor")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help=f"JSON results path (default {RESULTS_PATH})")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as tmp:
        workdir = Path(tmp)
        model_dir, spark_p50 = fit_tutorial(workdir)
        name = f"bench-tutorial-{uuid.uuid4().hex[:8]}"
        with kafka_cluster() as kafka:
            ensure_topics(kafka)
            producer = make_producer(kafka)
            try:
                publish_version(
                    producer,
                    {
                        "name": name,
                        "version": 1,
                        "servable": True,
                        "reason": None,
                        "sample_rows": [{"id": 0, "text": TEXTS[0]}],
                    },
                    model_dir,
                )
            finally:
                close_producer(producer, 5)
            hop_p50 = measure_hop(kafka, plan.latency_seconds)
            results = []
            for scorers in (1, 2):
                for batching in (True, False):
                    print(f"measuring {scorers} scorer(s), batching {'on' if batching else 'off'}...", flush=True)
                    results.append(run_config(kafka, name, scorers, batching, plan, workdir))
    table = markdown(results, spark_p50, hop_p50)
    print(table)
    # The floor holds the default configuration (batching on); batching off is the naive comparison.
    floor_ok = all(r.p50_ms <= P50_FLOOR_MS for r in results if r.batching)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "benchmark": "kafka_roundtrip",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "plan": asdict(plan),
        "rate_per_s": RATE_PER_S,
        "partitions": PARTITIONS,
        "spark_one_row_p50_ms": round(spark_p50, 3),
        "kafka_hop_p50_ms": round(hop_p50, 3),
        "p50_floor_ms": P50_FLOOR_MS,
        "floor_ok": floor_ok,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "results": [asdict(r) for r in results],
        "table": table,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    if not floor_ok:
        print(
            f"FLOOR MISSED: a batching-on p50 above {P50_FLOOR_MS} ms at {RATE_PER_S:.0f} req/s "
            f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    return 1 if args.check and not floor_ok else 0


if __name__ == "__main__":
    sys.exit(main())
