"""The embedded broker and the Kafka plumbing against a real broker: topics, clients, lifecycle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from spindrift.kafka import headers as h
from spindrift.kafka.embedded import EmbeddedKafka, EmbeddedKafkaError
from spindrift.kafka.produce import DeliveryFailed, send
from spindrift.kafka.readiness import wait_for_cluster
from spindrift.kafka.records import from_confluent
from spindrift.kafka.settings import KafkaSettings, close_producer, make_admin, make_consumer, make_producer
from spindrift.kafka.topics import MODEL_ARTIFACTS, SCORE_REQUESTS, TopicSpec, ensure_topics, standard_topics
from tests.waiting import wait_until

pytestmark = pytest.mark.kafka


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ensure_topics_creates_the_standard_layout_once(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings)
    assert ensure_topics(kafka_settings) == [], "a second call must create nothing"
    listed = make_admin(kafka_settings).list_topics(timeout=10).topics
    assert len(listed[SCORE_REQUESTS].partitions) == kafka_settings.score_partitions
    assert len(listed[MODEL_ARTIFACTS].partitions) == 1
    assert set(listed) >= {spec.name for spec in standard_topics(kafka_settings)}


def test_round_trip_with_headers_and_manual_commit(kafka_settings: KafkaSettings) -> None:
    topic = f"test.roundtrip.{uuid.uuid4().hex[:8]}"
    group = f"test-group-{uuid.uuid4().hex[:8]}"
    assert ensure_topics(kafka_settings, [TopicSpec(topic, 2)]) == [topic]
    producer = make_producer(kafka_settings)
    sent_headers = h.set_header(h.set_header(None, h.REPLY_TOPIC, "replies.x"), h.CORRELATION_ID, b"\x00\x01")
    send(producer, topic, b"hello", key=b"k1", headers=sent_headers).wait(producer, 30)
    close_producer(producer, 5)

    consumer = make_consumer(kafka_settings, group_id=group)
    try:
        consumer.subscribe([topic])
        messages = []
        deadline = time.monotonic() + 30
        while not messages and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                messages.append(message)
        records = [from_confluent(m) for m in messages]
        assert [r.value for r in records] == [b"hello"]
        record = records[0]
        assert h.get_header_str(record.headers, h.REPLY_TOPIC) == "replies.x"
        assert h.get_header(record.headers, h.CORRELATION_ID) == b"\x00\x01"
        consumer.commit(offsets=[TopicPartition(topic, record.partition, record.offset + 1)], asynchronous=False)
        [committed] = consumer.committed([TopicPartition(topic, record.partition)], timeout=10)
        assert committed.offset == record.offset + 1
    finally:
        consumer.close()


def test_lifecycle_auto_create_off_and_clean_stop() -> None:
    broker = EmbeddedKafka()
    broker.start()
    workdir = broker.workdir
    pid = broker.pid
    try:
        assert workdir is not None and pid is not None
        settings = broker.settings()
        assert wait_for_cluster(settings, timeout_s=10)["brokers"]
        producer = make_producer(settings, {"message.timeout.ms": 2_000})
        try:
            with pytest.raises(DeliveryFailed):
                # Auto-creation is off: a typo in a topic name must fail, not create a topic.
                send(producer, "no.such.topic", b"x").wait(producer, 10)
            assert "no.such.topic" not in make_admin(settings).list_topics(timeout=10).topics
        finally:
            close_producer(producer, 1)
    finally:
        broker.stop()
    assert not broker.is_running()
    assert not _pid_alive(pid)
    assert not workdir.exists(), "a temporary data dir is removed on a clean stop"


def test_broker_dies_with_its_parent_process(tmp_path: Path) -> None:
    child_code = (
        "import sys, time\n"
        "from spindrift.kafka.embedded import EmbeddedKafka\n"
        f"k = EmbeddedKafka(data_dir={str(tmp_path / 'kafka')!r}).start()\n"
        "print(k.pid, k.bootstrap_servers, flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", child_code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert len(line) == 2, f"child did not report a broker (exit code {child.poll()})"
        jvm_pid, bootstrap = int(line[0]), line[1]
        assert wait_for_cluster(KafkaSettings(bootstrap_servers=bootstrap), timeout_s=10)["brokers"]
        os.kill(child.pid, signal.SIGKILL)  # no atexit, no finally: only the parent-death signal helps
        child.wait(timeout=10)
        assert wait_until(lambda: not _pid_alive(jvm_pid), 15), "the broker JVM outlived its parent"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_broker_that_cannot_start_names_its_log(tmp_path: Path) -> None:
    broker = EmbeddedKafka(data_dir=tmp_path / "bad", broker_properties={"num.io.threads": "-5"}, startup_timeout_s=60)
    with pytest.raises(EmbeddedKafkaError) as failure:
        broker.start()
    message = str(failure.value)
    assert str(tmp_path / "bad" / "broker.log") in message
    assert "last lines" in message
    assert not broker.is_running()
