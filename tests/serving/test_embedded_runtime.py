"""An application embeds ServingRuntime: it follows the registry on a real broker and hot-loads new versions.

The model is published with the registry publisher, as the trainer does; the runtime is
built exactly as the ServingRuntime docstring shows. Expected predictions are Spark's own
transform of the same rows.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import ensure_topics
from spindrift.registry.follower import RegistryFollower
from spindrift.registry.publisher import publish_version
from spindrift.serving import ScoreCall, ServingError, ServingRuntime
from tests.runtime.parity import assert_close
from tests.scorer.conftest import TEXTS, TutorialModels, manifest
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

FINAL_COLUMNS = ("rawPrediction", "probability", "prediction")  # the LogisticRegression's outputs
READY_TIMEOUT_S = 60.0


def _publish(kafka: KafkaSettings, models: TutorialModels, name: str, version: int) -> None:
    producer = make_producer(kafka)
    try:
        publish_version(producer, manifest(name, version), models.dirs[version])
    finally:
        close_producer(producer, 5)


def _assert_like_spark(
    models: TutorialModels, version: int, got: list[dict[str, Any]], sent: list[dict[str, Any]]
) -> None:
    expected = models.spark_outputs(version, sent)
    assert len(got) == len(expected)
    for i, (ours, theirs) in enumerate(zip(got, expected, strict=True)):
        assert list(ours) == list(FINAL_COLUMNS), f"v{version} row {i} has columns {list(ours)}"
        for col in FINAL_COLUMNS:
            assert_close(ours[col], theirs[col], f"v{version} row {i} {col}")


def _served_version(runtime: ServingRuntime, name: str, rows: list[dict[str, Any]]) -> int | None:
    [outcome] = runtime.score([ScoreCall("probe", name, rows)])
    return outcome.version


def test_an_embedded_runtime_answers_like_spark_and_hot_loads_a_newly_published_version(
    kafka_settings: KafkaSettings, tutorial_models: TutorialModels, tmp_path: Path
) -> None:
    name = f"embedded-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings)  # the registry topics the publisher writes to
    _publish(kafka_settings, tutorial_models, name, 1)
    rows = [{"id": i, "text": text} for i, text in enumerate(TEXTS)]
    runtime = ServingRuntime(
        lambda on_ready, on_event: RegistryFollower(kafka_settings, tmp_path / "models", on_ready, on_event=on_event),
        server_id="embedded-test",
    )
    with runtime.start():
        assert runtime.wait_ready(timeout=READY_TIMEOUT_S), "the registry did not catch up"
        assert runtime.ready()
        # Published before the runtime started: served at once, never "unknown".
        _assert_like_spark(tutorial_models, 1, runtime.predict(name, rows), rows)

        _publish(kafka_settings, tutorial_models, name, 2)
        assert wait_until(lambda: _served_version(runtime, name, rows[:1]) == 2, timeout=READY_TIMEOUT_S), (
            f"v2 was not hot-loaded; loaded: {runtime.models()}"
        )
        _assert_like_spark(tutorial_models, 2, runtime.predict(name, rows), rows)
        _assert_like_spark(tutorial_models, 1, runtime.predict(name, rows, version=1), rows)  # still pinnable

        with pytest.raises(ServingError) as unknown:
            runtime.predict(f"{name}-missing", rows)
        assert (unknown.value.code, unknown.value.http_status) == ("UNKNOWN_MODEL", 404)

    labels = {"model": name, "version": "2", "outcome": "ok", "transport": "inline"}
    assert (REGISTRY.get_sample_value("spindrift_scorer_requests_total", labels) or 0) >= 2
    assert not runtime.ready()  # closed: the follower no longer follows
