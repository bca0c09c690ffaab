"""The registry on a real broker: publish, follow from the beginning, hot-load, and refuse bad artifacts."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer
from kafka import KafkaProducer

from spindrift import wire
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import TopicSpec, ensure_topics
from spindrift.registry.artifact import pack_model, sha256_hex
from spindrift.registry.follower import RegistryFollower
from spindrift.registry.publisher import chunk_key, promote, publish_version, retire, rollback, set_alias
from spindrift.registry.reader import read_events
from spindrift.registry.state import ModelVersionInfo, RegistryState
from tests.kafka_user import user_producer
from tests.waiting import wait_until

pytestmark = pytest.mark.kafka


class Topics:
    """Unique registry topics per test, so tests sharing a broker never see each other's models."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.events = f"test.model.events.{suffix}"
        self.artifacts = f"test.model.artifacts.{suffix}"


class Ready:
    """Collects on_ready calls from the follower thread."""

    def __init__(self) -> None:
        self.calls: dict[tuple[str, int], Path] = {}
        self._changed = threading.Condition()

    def __call__(self, info: ModelVersionInfo, model_dir: Path) -> None:
        with self._changed:
            self.calls[(info.name, info.version)] = model_dir
            self._changed.notify_all()

    def wait_for(self, key: tuple[str, int], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: key in self.calls, timeout)


def model_dir(root: Path, payload: bytes) -> Path:
    """A small stand-in for a saved Spark model (the registry treats it as opaque files)."""
    (root / "metadata").mkdir(parents=True)
    (root / "metadata" / "part-00000").write_text('{"class": "org.apache.spark.ml.PipelineModel"}\n')
    (root / "stages").mkdir()
    (root / "stages" / "weights.bin").write_bytes(payload)
    return root


@pytest.fixture()
def topics() -> Topics:
    return Topics()


@pytest.fixture()
def producer(kafka_settings: KafkaSettings) -> Iterator[Producer]:
    """The registry's own producer (librdkafka), for the publisher functions."""
    p = make_producer(kafka_settings)
    yield p
    close_producer(p, 5)


@pytest.fixture()
def user(kafka_settings: KafkaSettings) -> Iterator[KafkaProducer]:
    """Another client (kafka-python) writing hand-made registry records, corrupt ones included."""
    p = user_producer(kafka_settings)
    yield p
    p.close()


def start_follower(settings: KafkaSettings, topics: Topics, cache: Path, ready: Ready) -> RegistryFollower:
    return RegistryFollower(
        settings, cache, on_ready=ready, events_topic=topics.events, artifacts_topic=topics.artifacts
    ).start()


def test_a_late_follower_rebuilds_state_and_unpacks_every_version(
    kafka_settings: KafkaSettings, producer: Producer, topics: Topics, tmp_path: Path
) -> None:
    payloads = {1: b"\x01" * 5000 + bytes(range(256)), 2: bytes(range(256)) * 40}
    sources = {v: model_dir(tmp_path / f"src{v}", p) for v, p in payloads.items()}
    # Three artifact partitions: a version's chunks spread over them and must be reassembled in order.
    ensure_topics(kafka_settings, [TopicSpec(topics.events), TopicSpec(topics.artifacts, 3)])
    kw = {"events_topic": topics.events}
    published = {}
    for version, source in sources.items():
        manifest = {"name": "spam", "version": version, "servable": True, "sample_rows": [{"text": "hi"}]}
        published[version] = publish_version(
            producer, manifest, source, chunk_bytes=1024, artifacts_topic=topics.artifacts, **kw
        )
    promote(producer, "spam", 1, **kw)
    set_alias(producer, "spam", "canary", 2, **kw)
    promote(producer, "spam", 2, **kw)

    ready = Ready()
    follower = start_follower(kafka_settings, topics, tmp_path / "cache", ready)
    try:
        assert follower.wait_caught_up(30)
        expected = RegistryState()
        for event in read_events(kafka_settings, topic=topics.events):
            expected.apply(event)
        assert follower.state.to_dict() == expected.to_dict()
        assert follower.resolve("spam", None).version == 2
        assert follower.state.aliases("spam") == {"production": 2, "canary": 2}
        assert follower.state.get("spam", 1).sha256 == published[1]["sha256"]
        # Everything on the topics at start is unpacked before wait_caught_up returns.
        assert set(ready.calls) == {("spam", 1), ("spam", 2)}
        for version, source in sources.items():
            unpacked = ready.calls[("spam", version)]
            assert (unpacked / "stages" / "weights.bin").read_bytes() == payloads[version]
            assert (unpacked / "metadata" / "part-00000").read_bytes() == (
                source / "metadata" / "part-00000"
            ).read_bytes()
        assert follower.failures == {} and follower.incomplete() == {}

        # Hot loading: a version published while following arrives without a restart.
        source3 = model_dir(tmp_path / "src3", b"three")
        publish_version(producer, {"name": "spam", "version": 3}, source3, artifacts_topic=topics.artifacts, **kw)
        assert ready.wait_for(("spam", 3), 30)
        assert rollback(producer, follower.state, "spam", **kw) == 1
        retire(producer, "spam", 3, **kw)
        assert wait_until(lambda: follower.state.get("spam", 3).retired, 30)
        assert follower.resolve("spam", None).version == 1
        assert follower.resolve("spam", "latest").version == 2
    finally:
        follower.stop()

    # A restart reuses what the first run unpacked (same sha256), and still reports it ready.
    again = Ready()
    second = start_follower(kafka_settings, topics, tmp_path / "cache", again)
    try:
        assert second.wait_caught_up(30)
        assert second.state.to_dict() == follower.state.to_dict()
        assert set(again.calls) == {("spam", 1), ("spam", 2)}, "retired v3 is not handed out"
    finally:
        second.stop()


def _send_chunks(
    producer: KafkaProducer, topics: Topics, name: str, version: int, data: bytes, sha: str, count: int
) -> None:
    size = -(-len(data) // count)
    for index in range(count):
        chunk = {
            "model": name,
            "version": version,
            "index": index,
            "count": count,
            "sha256": sha,
            "data": data[index * size : (index + 1) * size],
        }
        producer.send(
            topics.artifacts, key=chunk_key(name, version, sha, index), value=wire.encode("ArtifactChunk", chunk)
        )


def _send_published(producer: KafkaProducer, topics: Topics, name: str, version: int, sha: str) -> None:
    import json

    manifest = {"name": name, "version": version, "servable": True, "sha256": sha}
    event = {
        "model": name,
        "version": version,
        "type": "PUBLISHED",
        "alias": None,
        "manifest_json": json.dumps(manifest),
        "at_ms": 1,
    }
    producer.send(topics.events, key=name.encode(), value=wire.encode("ModelEvent", event)).get(timeout=30)


def test_corrupt_or_missing_chunks_never_yield_a_loaded_model(
    kafka_settings: KafkaSettings, producer: Producer, user: KafkaProducer, topics: Topics, tmp_path: Path
) -> None:
    ensure_topics(kafka_settings, [TopicSpec(topics.events), TopicSpec(topics.artifacts)])
    good = model_dir(tmp_path / "good", bytes(range(256)) * 20)

    # v1: one chunk corrupted in transit (the chunks still claim the right sha256).
    data1 = pack_model(good, {"name": "ham", "version": 1})
    sha1 = sha256_hex(data1)
    corrupted = bytearray(data1)
    corrupted[len(corrupted) // 3] ^= 0x55
    _send_chunks(user, topics, "ham", 1, bytes(corrupted), sha1, 3)
    _send_published(user, topics, "ham", 1, sha1)

    # v2: the middle chunk of three never arrives.
    data2 = pack_model(good, {"name": "ham", "version": 2})
    sha2 = sha256_hex(data2)
    size = -(-len(data2) // 3)
    for index in (0, 2):
        chunk = {
            "model": "ham",
            "version": 2,
            "index": index,
            "count": 3,
            "sha256": sha2,
            "data": data2[index * size : (index + 1) * size],
        }
        user.send(topics.artifacts, key=chunk_key("ham", 2, sha2, index), value=wire.encode("ArtifactChunk", chunk))
    _send_published(user, topics, "ham", 2, sha2)

    # v3: an artifact whose manifest names another model.
    data3 = pack_model(good, {"name": "other", "version": 3})
    _send_chunks(user, topics, "ham", 3, data3, sha256_hex(data3), 1)
    _send_published(user, topics, "ham", 3, sha256_hex(data3))

    # Garbage on both topics must be skipped, not stop the follower.
    user.send(topics.events, key=b"ham", value=b"\xc3\x01garbage").get(timeout=30)
    user.send(topics.artifacts, key=b"ham/9/0", value=b"not avro").get(timeout=30)

    # v4: a good version after all that still loads.
    publish_version(
        producer, {"name": "ham", "version": 4}, good, artifacts_topic=topics.artifacts, events_topic=topics.events
    )

    ready = Ready()
    follower = start_follower(kafka_settings, topics, tmp_path / "cache", ready)
    try:
        assert follower.wait_caught_up(30)
        assert set(ready.calls) == {("ham", 4)}
        failures = follower.failures
        assert "sha256 mismatch" in failures[("ham", 1)]
        assert "names other v3" in failures[("ham", 3)]
        assert follower.incomplete() == {("ham", 2): "waiting for artifact chunks (2 of 3 received)"}
        for version in (1, 2, 3):
            assert follower.model_dir("ham", version) is None
            assert not (tmp_path / "cache" / "ham" / str(version) / "model").exists()

        # The missing chunk turns up late (a retry): the version completes then.
        chunk = {"model": "ham", "version": 2, "index": 1, "count": 3, "sha256": sha2, "data": data2[size : 2 * size]}
        user.send(topics.artifacts, key=chunk_key("ham", 2, sha2, 1), value=wire.encode("ArtifactChunk", chunk)).get(
            timeout=30
        )
        assert ready.wait_for(("ham", 2), 30)
        assert follower.incomplete() == {}
    finally:
        follower.stop()
