"""``make demo``: the seed's story end to end — train in Spark, certify, publish, serve without Spark.

1. Start Kafka (an embedded single-node broker, or the cluster ``KAFKA_BOOTSTRAP_SERVERS`` names),
   a trainer and two scorers as separate processes, and wait for their health checks.
2. Submit Spark's ML pipeline tutorial (Tokenizer → HashingTF → LogisticRegression) as a
   training job and print its events as they arrive.
3. Once the model is published and certified servable, score the tutorial's test documents
   over Kafka with the client SDK and print predictions, model version and latency.
4. Stop everything, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from spindrift.jobs import JobEvent, follow_job, submit_training
from spindrift.topology import Topology, TopologyError

TRAINING_ROWS = [
    {"id": 0, "text": "a b c d e spark", "label": 1.0},
    {"id": 1, "text": "b d", "label": 0.0},
    {"id": 2, "text": "spark f g h", "label": 1.0},
    {"id": 3, "text": "hadoop mapreduce", "label": 0.0},
]
TEST_DOCUMENTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop"]


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


class Story:
    """Prints the demo's steps with the time since it began."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        """One line of the story."""
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    def event(self, event: JobEvent) -> None:
        """One job event, as it arrives."""
        pct = f"{event.progress * 100:3.0f}%" if event.progress is not None else "    "
        self.say(f"  {pct} {event.type:<10} {event.message}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit code (0 when every document was scored)."""
    parser = argparse.ArgumentParser(prog="python -m spindrift.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tutorial", help="model name to publish (default: tutorial)")
    parser.add_argument("--scorers", type=int, default=2, help="scorer processes to start (default: 2)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed for start-up and training")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)  # connection retries while the broker starts are expected
    story = Story()
    try:
        with Topology() as topology:
            return _run(topology, story, args.model, args.scorers, args.timeout)
    except KeyboardInterrupt:
        story.say("interrupted: every process has been stopped")
        return 130
    except (TopologyError, TimeoutError) as exc:
        story.say(f"demo failed: {exc}")
        return 1
    finally:
        story.say("stopped the trainer, the scorers and the broker")


def _run(topology: Topology, story: Story, model: str, scorers: int, timeout: float) -> int:
    kafka = topology.kafka
    assert kafka is not None  # the context manager started it
    where = "embedded broker" if topology.broker_log else "configured cluster"
    story.say(f"Kafka ready at {kafka.bootstrap_servers} ({where})")
    topology.start_trainer()
    for _ in range(scorers):
        topology.start_scorer()
    story.say(f"started a trainer and {scorers} scorers; waiting for their health checks (Spark takes a few seconds)")
    topology.wait_ready(timeout)
    for service in topology.services:
        story.say(f"  {service.name:<10} ready  pid {service.pid}  {service.health_url}/metrics")

    story.say(f"submitting Spark's ML pipeline tutorial as a training job for model '{model}'")
    job_id = submit_training(kafka, tutorial_spec(model), job_id=f"demo-{uuid.uuid4().hex[:8]}")
    story.say(f"job {job_id}:")
    final = follow_job(kafka, job_id, on_event=story.event, timeout=timeout)
    details = final.details or {}
    if final.type != "PUBLISHED" or not details.get("servable"):
        story.say(f"the model was not published as servable: {final.message}")
        return 1
    version = details["version"]
    story.say(f"{model} version {version} is published and certified; scoring the test documents over Kafka")
    rows = _score(kafka, model, version)
    _print_table(rows)
    story.say(f"logs of every process: {topology.work_dir / 'logs'}")
    return 0


def _score(kafka: Any, model: str, version: int) -> list[dict[str, Any]]:
    """Score each document as its own request (a scorer still loading the new version waits for it)."""
    from spindrift.client import SpindriftClient

    results = []
    with SpindriftClient(kafka) as client:
        for text in TEST_DOCUMENTS:
            reply = client.predict(model, [{"text": text}], version=version, timeout=30)
            row = reply.rows[0]
            results.append(
                {
                    "text": text,
                    "prediction": row["prediction"],
                    "probability": row["probability"][1],
                    "version": reply.version,
                    "scorer": reply.scorer,
                    "latency_ms": reply.latency_ms,
                }
            )
    return results


def _print_table(rows: list[dict[str, Any]]) -> None:
    print()
    print("| document | prediction | P(label=1) | version | scorer | round trip (ms) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['text']!r} | {r['prediction']:.1f} | {r['probability']:.6f} | {r['version']} | {r['scorer']} "
            f"| {r['latency_ms']:.1f} |"
        )
    print()


if __name__ == "__main__":
    sys.exit(main())
