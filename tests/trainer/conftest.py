"""Trainer test fixtures: one in-process trainer per module, sharing the session's SparkSession and broker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from tests.scorer.conftest import tutorial_models  # Spark-fitted tutorial models, shared with the scorer tests

__all__ = ["tutorial_models"]


@pytest.fixture(scope="session")
def trainer_group() -> str:
    """One consumer group for every trainer of this test run, so two trainers never both run a job."""
    return f"trainer-tests-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The data root the module's trainer may read and write under."""
    return str(tmp_path_factory.mktemp("data-root"))


@pytest.fixture(scope="module")
def trainer(spark, kafka_settings, trainer_group, data_root, tmp_path_factory) -> Iterator[object]:
    """A TrainerWorker running on a thread with the session's SparkSession; stopped after the module."""
    from services.trainer.settings import TrainerSettings
    from services.trainer.worker import TrainerWorker

    from . import functions  # noqa: F401  (registers the test training functions)

    settings = TrainerSettings(
        spark_master="local[2]",
        group_id=trainer_group,
        data_roots=[data_root],
        work_dir=tmp_path_factory.mktemp("trainer-work"),
        progress_interval_s=0.5,
        worker_name="in-process-trainer",
    )
    worker = TrainerWorker(settings, kafka_settings, spark=spark)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=run, name="trainer-under-test", daemon=True)
    thread.start()
    assert worker.wait_ready(120), f"trainer not ready in 120 s: {errors}"
    yield worker
    worker.stop()
    thread.join(90)
    assert not thread.is_alive(), "trainer did not stop within 90 s"
    assert not errors, f"trainer loop raised: {errors}"
