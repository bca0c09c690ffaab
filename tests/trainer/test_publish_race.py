"""Two trainers racing for one version number: each publication ends with its own number, none lost.

Both publications read the registry before either writes (a barrier holds each after its first
``next_version`` until the other has read too), so both pick the same number, as two trainers
finishing at the same moment would. The registry keeps the first PUBLISHED event for a number;
the other publication must notice and take the next number.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from services.trainer import publishing
from spindrift.kafka.settings import KafkaSettings, close_producer, make_producer
from spindrift.kafka.topics import ensure_topics
from spindrift.registry.current import read_registry_state
from tests.scorer.conftest import manifest

pytestmark = [pytest.mark.kafka]


def test_two_publications_racing_for_one_number_end_with_two_numbers(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_topics(kafka_settings)
    name = f"raced-{uuid.uuid4().hex[:8]}"
    dirs = []
    for who in ("first", "second"):
        model_dir = tmp_path / who
        model_dir.mkdir()
        (model_dir / "weights.txt").write_text(f"a different artifact from the {who} trainer\n")
        dirs.append(model_dir)

    real_next_version = publishing.next_version
    both_read = threading.Barrier(2, timeout=30)
    raced: set[int] = set()

    def next_version_then_wait(kafka: KafkaSettings, model: str) -> int:
        version = real_next_version(kafka, model)
        if threading.get_ident() not in raced:  # only the first pick races; a retry reads on its own
            raced.add(threading.get_ident())
            both_read.wait()
        return version

    monkeypatch.setattr(publishing, "next_version", next_version_then_wait)

    def publish(model_dir: Path) -> dict[str, Any]:
        producer = make_producer(kafka_settings)
        try:
            meta = manifest(name, 0)  # the number is chosen by publish_model
            return publishing.publish_model(producer, kafka_settings, meta, model_dir)
        finally:
            close_producer(producer, 5)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(publish, dirs))

    assert sorted(r["version"] for r in results) == [1, 2]
    state = read_registry_state(kafka_settings)
    for published in results:
        assert state.get(name, published["version"]).sha256 == published["sha256"]
    assert results[0]["sha256"] != results[1]["sha256"]
