"""Publishing a fitted model: the next version number, the manifest, and the artifact on Kafka.

The version is the registry's next one for the model name (rebuilt from ``model.events``),
never lower than one this process already published, so versions only increase; a number
another trainer took at the same moment is detected by reading the registry back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import JobError

if TYPE_CHECKING:
    from confluent_kafka import Producer

    from spindrift.kafka.settings import KafkaSettings

    from .certificate import Certificate

log = logging.getLogger(__name__)
_published: dict[str, int] = {}
_published_lock = threading.Lock()


def next_version(kafka: KafkaSettings, name: str) -> int:
    """The version number the next publication of ``name`` gets."""
    from spindrift.registry.current import read_registry_state

    state = read_registry_state(kafka)
    with _published_lock:
        return max(state.next_version(name), _published.get(name, 0) + 1)


def build_manifest(
    *,
    name: str,
    job_id: str,
    certificate: Certificate,
    metrics: dict[str, Any],
    sample_rows: int,
    training_time_s: float,
) -> dict[str, Any]:
    """The manifest of a model version (see the shared contract); ``version`` and ``sha256`` are set when published."""
    import pyspark

    return {
        "name": name,
        "version": None,
        "servable": certificate.servable,
        "reason": certificate.reason,
        "input_schema": certificate.input_schema,
        "output_schema": certificate.output_schema,
        "metrics": metrics,
        "parity": certificate.to_dict(),
        "spark_version": pyspark.__version__,
        "sha256": None,
        "training_time_s": round(training_time_s, 3),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "job_id": job_id,
        "sample_rows": certificate.sample_inputs[:sample_rows],
    }


def publish_model(
    producer: Producer, kafka: KafkaSettings, manifest: dict[str, Any], model_dir: Path, attempts: int = 3
) -> dict[str, Any]:
    """Publish under the next version number; returns the manifest as published (version and sha256 set).

    Two trainers may pick the same next number; the registry keeps the first PUBLISHED event
    for a version (one partition, total order), so after publishing we read it back and, if
    another artifact won that number, publish again under the following one.
    """
    from spindrift.registry.current import read_registry_state
    from spindrift.registry.publisher import publish_version
    from spindrift.registry.state import RegistryError

    name = manifest["name"]
    for _ in range(attempts):
        version = next_version(kafka, name)
        published = publish_version(producer, {**manifest, "version": version}, model_dir)
        try:
            winner = read_registry_state(kafka).get(name, version).sha256
        except RegistryError:
            winner = None
        if winner == published["sha256"]:
            with _published_lock:
                _published[name] = max(_published.get(name, 0), version)
            return published
        log.warning(
            "%s version %d was taken by another publication; publishing again under the next number", name, version
        )
        with _published_lock:
            _published[name] = max(_published.get(name, 0), version)
    raise JobError(f"could not publish {name}: {attempts} version numbers in a row were taken by other publications")
