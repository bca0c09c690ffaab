"""The scorer's real batch path end to end: one micro-batch of several requests through Kafka.

The requests of :func:`~tests.scorer.batches.mixed_batch` (52 rows: good rows, rows a
``handleInvalid="skip"`` stage drops, a row missing a column, and optionally a row that fails
the Tokenizer) are written to a fresh requests topic before the scorer starts, so its first poll
takes them all into one micro-batch; its /metrics prove that. Each request must be answered
once, with exactly its own rows, in order, with Spark's values, or with an INVALID_INPUT naming
its own bad row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from spindrift.client import ScoringError, SpindriftClient
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version

from .batches import MODEL, assert_expected_outcome, good_rows, mixed_batch
from .conftest import SkippingModel, manifest
from .processes import ScorerProcess, scorer_env

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

REPLY_TIMEOUT_S = 90.0  # the requests wait on the topic while the scorer starts


@dataclass
class Published:
    kafka: KafkaSettings
    model: SkippingModel
    name: str
    log_dir: Path


@pytest.fixture(scope="module")
def published(
    kafka_settings: KafkaSettings, skipping_model: SkippingModel, tmp_path_factory: pytest.TempPathFactory
) -> Published:
    name = f"{MODEL}-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings)
    producer = make_producer(kafka_settings)
    try:
        publish_version(producer, manifest(name, 1, sample_rows=good_rows(2, 0)), skipping_model.path)
    finally:
        close_producer(producer, 5)
    return Published(kafka_settings, skipping_model, name, tmp_path_factory.mktemp("batch-scorer-logs"))


def batch_histogram(scorer: ScorerProcess) -> tuple[float, float]:
    """(micro-batches handled, requests in them) from the scorer's /metrics."""
    samples = {
        s.name: s.value
        for family in text_string_to_metric_families(scorer.http_text("/metrics"))
        if family.name == "spindrift_scorer_batch_requests"
        for s in family.samples
    }
    return samples["spindrift_scorer_batch_requests_count"], samples["spindrift_scorer_batch_requests_sum"]


@pytest.fixture()
def requests_topic(published: Published) -> Iterator[str]:
    topic = f"score.requests.batches-{uuid.uuid4().hex[:8]}"
    ensure_topics(published.kafka, [TopicSpec(topic, 1)])
    yield topic


@pytest.mark.parametrize("with_bad_row", [False, True], ids=["columnar", "row-by-row-retry"])
def test_one_micro_batch_of_mixed_requests_answers_each_with_its_own_spark_rows(
    published: Published, requests_topic: str, with_bad_row: bool
) -> None:
    calls = mixed_batch(with_bad_row)
    suffix = uuid.uuid4().hex[:8]
    with SpindriftClient(published.kafka, requests_topic=requests_topic) as client:
        futures = [
            client.predict_async(
                published.name, c.rows, timeout=REPLY_TIMEOUT_S, key="one-partition", outputs=c.outputs
            )
            for c in calls
        ]
        scorer = ScorerProcess(
            f"batch-scorer-{suffix}",
            published.log_dir,
            scorer_env(
                published.kafka,
                group_id=f"batch-scorers-{suffix}",
                requests_topic=requests_topic,
                dlq_topic=f"score.dlq.batches-{suffix}",
            ),
        )
        try:
            scorer.wait_ready()
            for call, future in zip(calls, futures, strict=True):
                try:
                    prediction = future.result(timeout=REPLY_TIMEOUT_S + 5)
                except ScoringError as exc:
                    assert exc.version == 1, call.request_id
                    assert_expected_outcome(published.model, call, None, exc.code, exc.message)
                else:
                    assert prediction.version == 1 and prediction.scorer == scorer.name, call.request_id
                    assert_expected_outcome(published.model, call, prediction.rows, None, None)
            assert client.duplicate_replies == 0
            # The precondition: the requests were scored together, in one micro-batch.
            assert batch_histogram(scorer) == (1.0, float(len(calls)))
        finally:
            assert scorer.terminate() == 0
