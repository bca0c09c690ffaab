"""The trainer worker on a real broker: bad jobs fail with clear messages, cancel stops a running job."""

from __future__ import annotations

import threading

import pytest

from spindrift.jobs import cancel_job, follow_job, submit_training

from .tutorial import PIPELINE, tutorial_spec

pytestmark = [pytest.mark.kafka, pytest.mark.spark]


def _run(kafka_settings, spec, timeout=180):
    events = []
    job_id = submit_training(kafka_settings, spec)
    final = follow_job(kafka_settings, job_id, on_event=events.append, timeout=timeout)
    return job_id, final, events


def test_an_invalid_stage_fails_with_a_message_naming_it(trainer, kafka_settings):
    spec = tutorial_spec(pipeline=[*PIPELINE[:2], {"stage": "LogisticRegresion", "params": {}}])
    job_id, final, events = _run(kafka_settings, spec)
    assert final.type == "FAILED"
    assert "'LogisticRegresion' is not an allowed stage" in final.message
    assert "Did you mean 'LogisticRegression'" in final.message
    # The history is ordered and complete: QUEUED (from the client), STARTED, then the failure.
    assert [e.type for e in events][:2] == ["QUEUED", "STARTED"]
    assert [e.seq for e in events] == list(range(len(events)))
    assert events[1].worker == "in-process-trainer"


def test_an_invalid_param_fails_with_a_message_naming_it(trainer, kafka_settings):
    spec = tutorial_spec(pipeline=[*PIPELINE[:2], {"stage": "LogisticRegression", "params": {"maxIter": "ten"}}])
    _, final, _ = _run(kafka_settings, spec)
    assert final.type == "FAILED"
    assert "(LogisticRegression): param 'maxIter' has an unusable value 'ten'" in final.message


def test_a_path_outside_the_data_roots_fails_before_spark_reads_it(trainer, kafka_settings, data_root):
    spec = tutorial_spec(data={"path": f"{data_root}/../../etc/passwd", "format": "csv"})
    _, final, _ = _run(kafka_settings, spec)
    assert final.type == "FAILED"
    assert "outside the data roots" in final.message and "loading data" in final.message


def test_a_spark_error_fails_the_job_readably_and_the_worker_keeps_serving(trainer, kafka_settings):
    lr = {"stage": "LogisticRegression", "params": {"labelCol": "no_such_column"}}
    _, final, _ = _run(kafka_settings, tutorial_spec(pipeline=[*PIPELINE[:2], lr]))
    assert final.type == "FAILED"
    assert "while fitting" in final.message and "no_such_column" in final.message
    assert "JVM stacktrace" not in final.message and "\tat " not in final.message


def test_cancel_stops_a_running_job_and_the_worker_takes_the_next(trainer, kafka_settings):
    job_id = submit_training(
        kafka_settings, {"model": "sleepy", "function": "sleepy_tutorial", "params": {"sleep_s": 600}}
    )
    fitting = threading.Event()

    def on_event(event):
        if event.type == "PROGRESS" and event.message.startswith("fitting"):
            fitting.set()

    result = {}
    follower = threading.Thread(
        target=lambda: result.setdefault("final", follow_job(kafka_settings, job_id, on_event=on_event, timeout=240))
    )
    follower.start()
    assert fitting.wait(180), "the job never reached its fitting phase"
    cancel_job(kafka_settings, job_id)
    follower.join(120)
    final = result.get("final")
    assert final is not None and final.type == "CANCELLED", final
    assert "cancelled by request while fitting" in final.message
    # The 600 s Spark job was interrupted: the trainer is free for the next job at once.
    _, after, _ = _run(kafka_settings, tutorial_spec(pipeline=[{"stage": "Nope", "params": {}}]), timeout=120)
    assert after.type == "FAILED"


def test_cancelling_a_finished_job_changes_nothing(trainer, kafka_settings):
    job_id, final, _ = _run(kafka_settings, tutorial_spec(pipeline=[{"stage": "Nope", "params": {}}]))
    cancel_job(kafka_settings, job_id)
    # A later job still runs normally, and the first one's history still ends with FAILED.
    _run(kafka_settings, tutorial_spec(pipeline=[{"stage": "Nope", "params": {}}]))
    again = follow_job(kafka_settings, job_id, timeout=30)
    assert again.type == "FAILED" and again.seq == final.seq


def test_a_poison_request_goes_to_the_dlq_fails_its_job_and_the_worker_keeps_serving(trainer, kafka_settings):
    import time
    import uuid

    from kafka import TopicPartition

    from spindrift.kafka import headers as kh
    from tests.kafka_user import user_consumer as make_consumer  # a user's clients, kafka-python
    from tests.kafka_user import user_producer as make_producer

    job_id = f"poison-{uuid.uuid4().hex[:8]}"
    poison = b'{"job_id":"' + job_id.encode() + b'","spec_json":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    producer = make_producer(kafka_settings)
    try:
        producer.send(
            trainer.settings.requests_topic,
            key=job_id.encode(),
            value=poison,
            headers=[(kh.CONTENT_TYPE, b"application/json")],
        ).get(timeout=30)
    finally:
        producer.close()
    final = follow_job(kafka_settings, job_id, timeout=120)
    assert final.type == "FAILED" and "could not be decoded" in final.message and "nested deeper" in final.message
    consumer = make_consumer(kafka_settings)
    try:
        tp = TopicPartition(trainer.settings.dlq_topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        dead, deadline = None, time.monotonic() + 60
        while dead is None and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                dead = next((r for r in records if r.key == job_id.encode()), dead)
    finally:
        consumer.close()
    assert dead is not None and dead.value == poison
    info = kh.read_dlq_headers(dead.headers)
    assert info.exception.endswith("WireError") and info.topic == trainer.settings.requests_topic
    _, final, _ = _run(kafka_settings, tutorial_spec(f"after-poison-{uuid.uuid4().hex[:8]}"))
    assert final.type == "PUBLISHED", final.message
