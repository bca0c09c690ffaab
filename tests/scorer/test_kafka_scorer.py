"""Scorer processes on a real broker: sharing, failover, hot swap, DLQ, errors, JSON, stream mode.

Two ``python -m services.scorer`` subprocesses join one consumer group on a test-private
requests topic (4 partitions). A tutorial model fitted by Spark is published with the
registry publisher. Expected predictions are Spark's own transform of the same rows.
Tests run in file order: the kill -9 and SIGTERM tests come last because they end scorers.
The kill -9 test loads the pair at 150 req/s with the SDK's default timeout (10 s) and prints the
worst round trip: every request must be answered in time, by the survivor after the kill.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from spindrift import wire
from spindrift.client import Prediction, ScoringError, SpindriftClient
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings, close_producer
from spindrift.kafka.settings import make_producer as registry_producer  # Spindrift's own (librdkafka)
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.publisher import publish_version
from tests.kafka_user import user_consumer as make_consumer  # a user's clients, kafka-python
from tests.kafka_user import user_producer as make_producer
from tests.runtime.parity import assert_close
from tests.waiting import wait_until

from .conftest import TutorialModels, manifest
from .processes import ScorerProcess, read_topic, scorer_env, wait_for_partitions

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]

REPLY_TIMEOUT_S = 40.0  # generous: these tests check answers, not latency (the kill -9 test checks that)
SDK_DEFAULT_TIMEOUT_S: float = inspect.signature(SpindriftClient.predict_async).parameters["timeout"].default
FAILOVER_RATE = 150.0  # requests per second while one of two scorers is killed (issue 8)
FINAL_COLUMNS = ("rawPrediction", "probability", "prediction")  # the LogisticRegression's outputs
EVERY_COLUMN = ("id", "text", "words", "features", *FINAL_COLUMNS)


@dataclass
class Cluster:
    kafka: KafkaSettings
    models: TutorialModels
    name: str
    requests_topic: str
    dlq_topic: str
    scorers: dict[str, ScorerProcess]
    client: SpindriftClient
    env: dict[str, str]
    log_dir: Path

    def publish(self, version: int) -> None:
        producer = registry_producer(self.kafka)
        try:
            publish_version(producer, manifest(self.name, version), self.models.dirs[version])
        finally:
            close_producer(producer, 5)


@pytest.fixture(scope="module")
def cluster(
    kafka_settings: KafkaSettings, tutorial_models: TutorialModels, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    suffix = uuid.uuid4().hex[:8]
    requests_topic, dlq_topic = f"score.requests.test-{suffix}", f"score.dlq.test-{suffix}"
    ensure_topics(kafka_settings)  # the registry topics the publisher writes to
    ensure_topics(kafka_settings, [TopicSpec(requests_topic, 4), TopicSpec(dlq_topic, 1)])
    log_dir = tmp_path_factory.mktemp("scorer-logs")
    env = scorer_env(
        kafka_settings,
        group_id=f"scorers-{suffix}",
        requests_topic=requests_topic,
        dlq_topic=dlq_topic,
        session_timeout_ms="6000",
        max_wait_ms="2",
    )
    c = Cluster(
        kafka_settings,
        tutorial_models,
        f"tutorial-{suffix}",
        requests_topic,
        dlq_topic,
        {},
        None,  # type: ignore[arg-type]
        env,
        log_dir,
    )
    c.publish(1)
    try:
        for name in ("scorer-a", "scorer-b"):
            c.scorers[name] = ScorerProcess(f"{name}-{suffix}", log_dir, env)
        for proc in c.scorers.values():
            proc.wait_ready()
        wait_for_partitions(list(c.scorers.values()), total=4)
        c.client = SpindriftClient(kafka_settings, requests_topic=requests_topic)
        yield c
    finally:
        if c.client is not None:
            c.client.close()
        for proc in c.scorers.values():
            proc.terminate()


def texts_rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    base = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop", "b d spark", "hadoop f g"]
    return [{"id": start + i, "text": base[(start + i) % len(base)]} for i in range(n)]


def assert_spark_predictions(
    c: Cluster,
    version: int,
    got: list[dict[str, Any]],
    sent: list[dict[str, Any]],
    columns: tuple[str, ...] = FINAL_COLUMNS,
) -> None:
    """Each row holds exactly ``columns`` (the default reply: the final stage's outputs), with Spark's values."""
    expected = c.models.spark_outputs(version, sent)
    for i, (ours, theirs) in enumerate(zip(got, expected, strict=True)):
        assert list(ours) == list(columns), f"v{version} row {i} has columns {list(ours)}"
        for col in columns:
            assert_close(ours[col], theirs[col], f"v{version} row {i} {col}")


def test_two_scorers_share_partitions_and_answer_like_spark(cluster: Cluster) -> None:
    sent = [texts_rows(2, start=2 * i) for i in range(40)]
    # Every column, so the intermediate ones (words, features) are checked against Spark too.
    futures = [
        cluster.client.predict_async(cluster.name, rows, timeout=REPLY_TIMEOUT_S, outputs=["*"]) for rows in sent
    ]
    predictions = [f.result(timeout=REPLY_TIMEOUT_S + 5) for f in futures]
    answered_by = {p.scorer for p in predictions}
    assert answered_by == {proc.name for proc in cluster.scorers.values()}, answered_by
    assert {p.version for p in predictions} == {1}
    flat_rows = [row for p in predictions for row in p.rows]
    assert_spark_predictions(cluster, 1, flat_rows, [row for rows in sent for row in rows], EVERY_COLUMN)
    metrics = cluster.scorers["scorer-a"].http_text("/metrics")
    assert (
        f'spindrift_scorer_requests_total{{model="{cluster.name}",outcome="ok",transport="kafka",version="1"}}'
        in metrics
    )


def test_unknown_model_and_version_get_error_replies(cluster: Cluster) -> None:
    with pytest.raises(ScoringError) as unknown_model:
        cluster.client.predict("no-such-model", [{"text": "spark"}], timeout=REPLY_TIMEOUT_S)
    assert unknown_model.value.code == "UNKNOWN_MODEL" and "no-such-model" in unknown_model.value.message
    with pytest.raises(ScoringError) as unknown_version:
        cluster.client.predict(cluster.name, [{"text": "spark"}], version=42, timeout=REPLY_TIMEOUT_S)
    assert unknown_version.value.code == "UNKNOWN_VERSION" and "42" in unknown_version.value.message


def test_replies_carry_the_final_stage_outputs_by_default(cluster: Cluster) -> None:
    sent = texts_rows(3)
    reply = cluster.client.predict(cluster.name, sent, timeout=REPLY_TIMEOUT_S)
    assert_spark_predictions(cluster, 1, reply.rows, sent, FINAL_COLUMNS)


def test_outputs_selects_input_and_output_columns_in_the_callers_order(cluster: Cluster) -> None:
    sent = texts_rows(2)
    reply = cluster.client.predict(cluster.name, sent, outputs=["prediction", "id", "words"], timeout=REPLY_TIMEOUT_S)
    assert [list(row) for row in reply.rows] == [["prediction", "id", "words"]] * 2
    assert [row["id"] for row in reply.rows] == [0, 1]
    assert_spark_predictions(
        cluster, 1, [{k: r[k] for k in ("prediction", "words")} for r in reply.rows], sent, ("prediction", "words")
    )


def test_outputs_star_returns_every_column(cluster: Cluster) -> None:
    sent = texts_rows(2)
    reply = cluster.client.predict(cluster.name, sent, outputs=["*"], timeout=REPLY_TIMEOUT_S)
    assert_spark_predictions(cluster, 1, reply.rows, sent, EVERY_COLUMN)


def test_an_unknown_output_column_is_invalid_input_listing_the_available_ones(cluster: Cluster) -> None:
    with pytest.raises(ScoringError) as failed:
        cluster.client.predict(
            cluster.name, texts_rows(1), outputs=["prediction", "no_such_col"], timeout=REPLY_TIMEOUT_S
        )
    assert failed.value.code == "INVALID_INPUT" and failed.value.version == 1
    message = failed.value.message
    assert "'no_such_col'" in message, message
    assert "available: text, id, words, features, rawPrediction, probability, prediction" in message, message


def test_bad_rows_fail_only_their_own_request(cluster: Cluster) -> None:
    good = texts_rows(3)
    bad = [{"id": 1, "text": "fine"}, {"id": 2, "text": 12.5}]
    # Same key → same partition, so both usually land in one batch.
    futures = [
        cluster.client.predict_async(cluster.name, rows, key="mixed", timeout=REPLY_TIMEOUT_S)
        for rows in (good, bad, good)
    ]
    with pytest.raises(ScoringError) as failed:
        futures[1].result(timeout=REPLY_TIMEOUT_S + 5)
    assert failed.value.code == "INVALID_INPUT"
    assert "row 1" in failed.value.message and "'text'" in failed.value.message, failed.value.message
    for f in (futures[0], futures[2]):
        assert_spark_predictions(cluster, 1, f.result(timeout=REPLY_TIMEOUT_S + 5).rows, good)


def test_spring_style_json_request_gets_json_reply_with_its_correlation_id(cluster: Cluster) -> None:
    reply_topic = f"replies.json-{uuid.uuid4().hex[:8]}"
    ensure_topics(cluster.kafka, [reply_topic])
    correlation = uuid.uuid4().bytes  # Spring sends opaque bytes and matches them exactly
    body = {"request_id": "json-1", "model": cluster.name, "rows": [{"id": 0, "text": "spark i j k"}]}
    producer = make_producer(cluster.kafka)
    consumer = make_consumer(cluster.kafka)
    try:
        tp = TopicPartition(reply_topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        producer.send(
            cluster.requests_topic,
            value=json.dumps(body).encode(),
            headers=[
                (kh.CONTENT_TYPE, b"application/json"),
                (kh.REPLY_TOPIC, reply_topic.encode()),
                (kh.CORRELATION_ID, correlation),
            ],
        ).get(timeout=30)
        record = _first_record(consumer, REPLY_TIMEOUT_S)
    finally:
        producer.close()
        consumer.close()
    assert kh.get_header(record.headers, kh.CORRELATION_ID) == correlation
    assert kh.get_header_str(record.headers, kh.CONTENT_TYPE) == "application/json"
    reply = json.loads(record.value)
    assert reply["request_id"] == "json-1" and reply["version"] == 1
    assert_spark_predictions(cluster, 1, reply["outcome"]["rows"], body["rows"])


def test_poison_message_goes_to_dlq_and_requests_behind_it_are_answered(cluster: Cluster) -> None:
    poison = b"\x00\x01 definitely not a ScoreRequest"
    producer = make_producer(cluster.kafka)
    try:
        meta = producer.send(cluster.requests_topic, key=b"poison-key", value=poison).get(timeout=30)
    finally:
        producer.close()
    # Same key → same partition, right behind the poison message.
    behind = [
        cluster.client.predict_async(cluster.name, texts_rows(1, i), key="poison-key", timeout=REPLY_TIMEOUT_S)
        for i in range(5)
    ]
    assert all(f.result(timeout=REPLY_TIMEOUT_S + 5).version == 1 for f in behind)
    dead = _find_dlq_record(cluster, lambda r: r.value == poison)
    assert dead.key == b"poison-key"
    info = kh.read_dlq_headers(dead.headers)
    assert (info.topic, info.partition, info.offset) == (cluster.requests_topic, meta.partition, meta.offset)
    assert info.exception.endswith("WireError") and "C3 01" in info.message, info


def test_request_without_reply_topic_is_dead_lettered_not_dropped(cluster: Cluster) -> None:
    value = wire.encode("ScoreRequest", {"request_id": "nowhere-1", "model": cluster.name, "rows": [{"text": "x"}]})
    producer = make_producer(cluster.kafka)
    try:
        producer.send(cluster.requests_topic, value=value).get(timeout=30)
    finally:
        producer.close()
    dead = _find_dlq_record(cluster, lambda r: r.value == value)
    info = kh.read_dlq_headers(dead.headers)
    assert "reply topic" in info.message and info.exception.endswith("UndeliverableRequest")


def test_client_times_out_clearly_and_drops_duplicate_replies(cluster: Cluster) -> None:
    nobody = f"score.requests.nobody-{uuid.uuid4().hex[:8]}"  # no scorer consumes it
    ensure_topics(cluster.kafka, [nobody])
    with SpindriftClient(cluster.kafka, requests_topic=nobody) as client:
        with pytest.raises(TypeError, match="rows must be a list of dicts"):
            client.predict(cluster.name, {"text": "a dict, not a list of rows"})  # type: ignore[arg-type]
        with pytest.raises(TimeoutError) as timed_out:
            client.predict(cluster.name, [{"text": "spark"}], timeout=1.0)
        assert nobody in str(timed_out.value) and "within 1.0 s" in str(timed_out.value)
        # Answer a request by hand, twice, as a scorer that died after replying would (at-least-once).
        future = client.predict_async(cluster.name, [{"text": "spark"}], timeout=REPLY_TIMEOUT_S)
        consumer = make_consumer(cluster.kafka)
        try:
            tp = TopicPartition(nobody, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            request = _records(consumer, 2, REPLY_TIMEOUT_S)[-1]
        finally:
            consumer.close()
        _name, body = wire.decode(request.value, request.headers, expected="ScoreRequest")
        reply = wire.encode(
            "ScoreReply",
            {
                "request_id": body["request_id"],
                "model": cluster.name,
                "version": 7,
                "outcome": {"rows": [{"prediction": 1.0}]},
                "scorer": "by-hand",
            },
        )
        headers = [(kh.CORRELATION_ID, kh.get_header(request.headers, kh.CORRELATION_ID) or b"")]
        reply_topic = kh.get_header_str(request.headers, kh.REPLY_TOPIC)
        assert reply_topic == client.reply_topic
        producer = make_producer(cluster.kafka)
        try:
            for _ in range(2):
                producer.send(reply_topic, value=reply, headers=headers).get(timeout=30)
        finally:
            producer.close()
        prediction = future.result(timeout=REPLY_TIMEOUT_S)
        assert (prediction.version, prediction.scorer, prediction.rows) == (7, "by-hand", [{"prediction": 1.0}])
        wait_until(lambda: client.duplicate_replies >= 1, REPLY_TIMEOUT_S)
        assert client.duplicate_replies == 1


def test_reply_topic_that_does_not_exist_is_dead_lettered_and_does_not_block(cluster: Cluster) -> None:
    missing = f"no.such.replies-{uuid.uuid4().hex[:8]}"
    # librdkafka reports a missing topic twice over: the first record to it fails its delivery once the
    # lookup gives up; later ones are refused by produce() at once. Both must be dead-lettered.
    for attempt in (1, 2):
        value = wire.encode(
            "ScoreRequest", {"request_id": f"lost-{attempt}", "model": cluster.name, "rows": [{"text": "spark"}]}
        )
        producer = make_producer(cluster.kafka)
        try:
            producer.send(
                cluster.requests_topic, key=b"missing-key", value=value, headers=[(kh.REPLY_TOPIC, missing.encode())]
            ).get(timeout=30)
        finally:
            producer.close()
        behind = cluster.client.predict(cluster.name, texts_rows(1), key="missing-key", timeout=REPLY_TIMEOUT_S)
        assert behind.rows
        dead = _find_dlq_record(cluster, lambda r, value=value: r.value == value)
        info = kh.read_dlq_headers(dead.headers)
        assert info.exception.endswith("MissingTopic") and missing in info.message, info


class SteadyLoad:
    """Sends one-row requests at ``rate`` per second from a thread (open loop: a slow reply does not
    slow the sending) until stopped; keeps every future. ``timeout`` is each request's SDK timeout."""

    def __init__(self, cluster: Cluster, rate: float, timeout: float = REPLY_TIMEOUT_S) -> None:
        self.cluster = cluster
        self.rate = rate
        self.timeout = timeout
        self.sent: list[tuple[list[dict[str, Any]], Future[Prediction]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SteadyLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        due = time.monotonic()
        i = 0
        while not self._stop.is_set():
            rows = texts_rows(1, i)
            self.sent.append((rows, self.cluster.client.predict_async(self.cluster.name, rows, timeout=self.timeout)))
            i += 1
            due += 1.0 / self.rate
            self._stop.wait(max(0.0, due - time.monotonic()))

    def results(self) -> list[Prediction]:
        """Every reply, in send order (raises the first error)."""
        return [f.result(timeout=self.timeout + 5) for _rows, f in self.sent]

    def outcomes(self) -> tuple[list[Prediction], list[BaseException]]:
        """Every reply and every failure (timeout, error reply), once all requests are settled."""
        replies: list[Prediction] = []
        failures: list[BaseException] = []
        for _rows, future in self.sent:
            try:
                replies.append(future.result(timeout=self.timeout + 5))
            except Exception as exc:
                failures.append(exc)
        return replies, failures

    def wait_until(self, condition: Any, timeout: float, what: str) -> None:
        def met() -> bool:
            return bool(condition([f.result() for _r, f in list(self.sent) if f.done() and f.exception() is None]))

        if not wait_until(met, timeout):
            raise AssertionError(f"timed out waiting for {what}")


def test_new_version_under_load_is_picked_up_without_errors(cluster: Cluster) -> None:
    scorers = {proc.name for proc in cluster.scorers.values()}
    with SteadyLoad(cluster, rate=50) as load:
        load.wait_until(lambda done: len(done) >= 20, 30, "replies from v1")
        cluster.publish(2)
        load.wait_until(
            lambda done: (
                {p.scorer for p in done[-40:] if p.version == 2} == scorers and all(p.version == 2 for p in done[-10:])
            ),
            60,
            "both scorers to answer with v2",
        )
    predictions = load.results()  # raises if any request got an error reply or timed out
    versions = [p.version for p in predictions]
    assert versions[0] == 1 and versions[-1] == 2
    for scorer in scorers:  # each scorer switches once and never goes back
        mine = [p.version for p in predictions if p.scorer == scorer]
        assert mine == sorted(mine), f"{scorer} went back to v1 after v2: {mine}"
    v2 = [(rows, f.result()) for rows, f in load.sent if f.result().version == 2][:5]
    assert_spark_predictions(cluster, 2, [p.rows[0] for _r, p in v2], [r[0] for r, _p in v2])


def test_kill_9_at_150_per_s_loses_nothing_and_answers_within_the_sdk_default_timeout(cluster: Cluster) -> None:
    victim = cluster.scorers["scorer-a"]
    survivor = cluster.scorers["scorer-b"]
    with SteadyLoad(cluster, rate=FAILOVER_RATE, timeout=SDK_DEFAULT_TIMEOUT_S) as load:
        load.wait_until(
            lambda done: len(done) >= FAILOVER_RATE and {p.scorer for p in done} >= {victim.name},
            30,
            "a second of load answered, some of it by the victim",
        )
        victim.kill_9()
        killed_at = len(load.sent)
        # The group notices the death after its session timeout (6 s) and hands the victim's partitions on.
        if not wait_until(lambda: len(survivor.status().get("assigned_partitions", [])) == 4, 30, interval=0.2):
            raise AssertionError(f"the survivor never took every partition: {survivor.status()}")
        taken_over = len(load.sent)
        # Keep the load on for 2 s more, so requests sent after the takeover are measured too.
        load.wait_until(lambda done: len(done) >= taken_over + 2 * int(FAILOVER_RATE), 30, "replies after the takeover")
    replies, failures = load.outcomes()
    worst = max(p.latency_ms for p in replies) / 1000.0 if replies else float("nan")
    print(
        f"kill -9 at {FAILOVER_RATE:g} req/s: {len(load.sent)} sent ({len(load.sent) - killed_at} after the kill), "
        f"{len(failures)} failed, worst round trip {worst:.2f} s (SDK default timeout {SDK_DEFAULT_TIMEOUT_S:g} s)"
    )
    assert not failures, f"{len(failures)} of {len(load.sent)} not answered in time, e.g. {failures[:3]}"
    assert len(replies) == len(load.sent) > killed_at
    assert all(p.rows for p in replies) and len({p.version for p in replies}) == 1
    assert {p.scorer for p in replies[killed_at:]} == {survivor.name}
    assert worst < SDK_DEFAULT_TIMEOUT_S


def test_sigterm_finishes_commits_and_leaves_the_group(cluster: Cluster) -> None:
    survivor = cluster.scorers["scorer-b"]
    assert cluster.client.predict(cluster.name, texts_rows(1), timeout=REPLY_TIMEOUT_S).scorer == survivor.name
    started = time.monotonic()
    assert survivor.terminate(timeout=30) == 0
    assert time.monotonic() - started < 30
    assert "stopped" in survivor.log_text()


def test_stream_mode_enriches_events_and_dead_letters_bad_ones(cluster: Cluster) -> None:
    suffix = uuid.uuid4().hex[:8]
    in_topic, out_topic = f"events.in-{suffix}", f"events.out-{suffix}"
    ensure_topics(cluster.kafka, [in_topic, out_topic])
    stream = ScorerProcess(
        f"stream-{suffix}",
        cluster.log_dir,
        cluster.env,
        ["--stream", f"{in_topic}:{out_topic}", "--model", cluster.name, "--version", "1"],
    )
    try:
        stream.wait_ready()
        events = texts_rows(6)
        producer = make_producer(cluster.kafka)
        try:
            for i, event in enumerate(events[:3]):
                producer.send(in_topic, key=f"k{i}".encode(), value=json.dumps(event).encode())
            producer.send(in_topic, key=b"bad", value=b"{this is not json")
            for i, event in enumerate(events[3:], start=3):
                producer.send(
                    in_topic,
                    key=f"k{i}".encode(),
                    value=json.dumps(event).encode(),
                    headers=[(kh.CONTENT_TYPE, b"application/json")],
                )
            # Avro in: a ScoreRequest whose rows are events (its model field is overridden by --model).
            avro_events = texts_rows(2, start=100)
            producer.send(
                in_topic,
                key=b"avro",
                value=wire.encode("ScoreRequest", {"request_id": "batch-1", "model": "ignored", "rows": avro_events}),
            )
            producer.flush(timeout=30)
        finally:
            producer.close()
        consumer = make_consumer(cluster.kafka)
        try:
            tp = TopicPartition(out_topic, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            out = _records(consumer, len(events) + 1, REPLY_TIMEOUT_S)
        finally:
            consumer.close()
        avro_out = out.pop()
        assert avro_out.key == b"avro"
        _name, reply = wire.decode(avro_out.value, avro_out.headers, expected="ScoreReply")
        assert reply["version"] == 1 and reply["model"] == cluster.name
        assert [(r["id"], r["text"]) for r in reply["outcome"]["rows"]] == [(e["id"], e["text"]) for e in avro_events]
        for ours, theirs in zip(reply["outcome"]["rows"], cluster.models.spark_outputs(1, avro_events), strict=True):
            for col in ("rawPrediction", "probability", "prediction"):
                assert_close(ours[col], theirs[col], col)
        enriched = [json.loads(r.value) for r in out]
        assert [r.key for r in out] == [f"k{i}".encode() for i in range(len(events))]
        assert {kh.get_header_str(r.headers, "spindrift-model-version") for r in out} == {"1"}
        assert [(e["id"], e["text"]) for e in enriched] == [(e["id"], e["text"]) for e in events]
        expected = cluster.models.spark_outputs(1, events)
        for ours, theirs in zip(enriched, expected, strict=True):
            assert set(ours) == {"id", "text", "rawPrediction", "probability", "prediction"}, ours.keys()
            for col in ("rawPrediction", "probability", "prediction"):
                assert_close(ours[col], theirs[col], col)
        dead = _find_dlq_record(cluster, lambda r: r.value == b"{this is not json")
        assert kh.read_dlq_headers(dead.headers).topic == in_topic
    finally:
        assert stream.terminate() == 0


# --- helpers ----------------------------------------------------------------------------
def _records(consumer: Any, n: int, timeout: float) -> list[Any]:
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=200).values():
            out.extend(records)
    assert len(out) >= n, f"only {len(out)} of {n} records arrived within {timeout} s"
    return out


def _first_record(consumer: Any, timeout: float) -> Any:
    return _records(consumer, 1, timeout)[0]


def _find_dlq_record(cluster: Cluster, match: Any, timeout: float = REPLY_TIMEOUT_S) -> Any:
    return read_topic(cluster.kafka, cluster.dlq_topic, match, timeout)
