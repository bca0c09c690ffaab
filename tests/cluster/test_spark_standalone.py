"""The trainer on a Spark standalone cluster (one master, two workers on loopback): its jobs run on executors.

The cluster comes from pyspark's own launcher (``spindrift.spark_standalone``); the trainer is
a real ``python -m services.trainer`` process with ``SPARK_MASTER=spark://…``. That the
executors did the work is read from the workers themselves: each worker's work directory
holds, per application, its executor's log, and those logs record the tasks they finished.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from spindrift.jobs import follow_job, submit_batch_scoring, submit_training
from spindrift.kafka.settings import KafkaSettings
from spindrift.spark_standalone import StandaloneCluster, driver_conf
from spindrift.topology import Topology
from tests.trainer.tutorial import TEST_TEXTS, tutorial_spec

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

FINISHED_TASK = re.compile(r"Finished task \S+ in stage \S+")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    with StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"), workers=2, cores=1, memory="1g") as running:
        yield running


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cluster-data")


@pytest.fixture(scope="module")
def trainer(
    kafka_settings: KafkaSettings, cluster: StandaloneCluster, data_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    topology = Topology(kafka_settings, work_dir=tmp_path_factory.mktemp("cluster-topology"))
    conf = {**driver_conf(), "spark.executor.memory": "512m", "spark.executor.cores": "1"}
    service = topology.start_trainer(
        SPARK_MASTER=cluster.master_url,
        TRAINER_SPARK_CONF=json.dumps(conf),
        TRAINER_GROUP_ID=f"cluster-trainers-{uuid.uuid4().hex[:8]}",
        TRAINER_DATA_ROOTS=str(data_root),
    )
    try:
        service.wait_ready(240)
        yield service
    finally:
        topology.stop()


def finished_tasks_per_worker(cluster: StandaloneCluster) -> list[int]:
    """How many tasks the executors under each worker's work directory logged as finished."""
    counts = []
    for i in range(cluster.workers):
        logs = cluster.worker_dir(i).glob("app-*/*/stderr")
        counts.append(sum(len(FINISHED_TASK.findall(p.read_text(errors="replace"))) for p in logs))
    return counts


def test_training_and_batch_scoring_run_on_the_clusters_executors(
    trainer: object, cluster: StandaloneCluster, kafka_settings: KafkaSettings, data_root: Path
) -> None:
    name = f"cluster-{uuid.uuid4().hex[:8]}"
    trained = follow_job(kafka_settings, submit_training(kafka_settings, tutorial_spec(name)), timeout=300)
    assert trained.type == "PUBLISHED", trained.message
    after_training = finished_tasks_per_worker(cluster)

    out = data_root / "scored"
    batch = {
        "model": name,
        "version": "1",
        "data": {"rows": [{"id": i, "text": t} for i, t in enumerate(TEST_TEXTS)]},
        "output": {"path": str(out), "format": "json"},
    }
    scored = follow_job(kafka_settings, submit_batch_scoring(kafka_settings, batch), timeout=300)
    assert scored.type == "PUBLISHED", scored.message
    assert scored.details["rows"] == len(TEST_TEXTS)
    written = [json.loads(line) for part in sorted(out.glob("part-*")) for line in part.read_text().splitlines()]
    assert sorted(r["id"] for r in written) == list(range(len(TEST_TEXTS)))
    assert all(r["prediction"] in (0.0, 1.0) for r in written)

    apps = cluster.status().get("activeapps", []) + cluster.status().get("completedapps", [])
    assert any(app.get("name") == "spindrift-trainer" for app in apps), apps
    after_batch = finished_tasks_per_worker(cluster)
    assert all(n > 0 for n in after_training), f"tasks finished per worker after training: {after_training}"
    assert sum(after_batch) > sum(after_training), "the batch job ran tasks on the executors too"
