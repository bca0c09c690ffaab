"""Publishing a fitted model: the next version number, the manifest, and the artifact on Kafka.

The version is the registry's next one for the model name (rebuilt from ``model.events``),
never lower than one this process already published, so versions only increase.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kafka import KafkaProducer

    from spindrift.kafka.settings import KafkaSettings

    from .certificate import Certificate

_published: dict[str, int] = {}
_published_lock = threading.Lock()


def next_version(kafka: KafkaSettings, name: str) -> int:
    """The version number the next publication of ``name`` gets."""
    from spindrift.registry.state import read_registry_state

    state = read_registry_state(kafka)
    with _published_lock:
        return max(state.next_version(name), _published.get(name, 0) + 1)


def build_manifest(
    *,
    name: str,
    version: int,
    job_id: str,
    certificate: Certificate,
    metrics: dict[str, Any],
    sample_rows: int,
    training_time_s: float,
) -> dict[str, Any]:
    """The manifest of a model version (see the shared contract); ``sha256`` is filled in when packed."""
    import pyspark

    return {
        "name": name,
        "version": version,
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


def publish_model(producer: KafkaProducer, manifest: dict[str, Any], model_dir: Path) -> dict[str, Any]:
    """Write the artifact chunks and the PUBLISHED model event; returns the manifest as published."""
    from spindrift.registry.publisher import publish_version

    published = publish_version(producer, manifest, model_dir)
    with _published_lock:
        name, version = manifest["name"], int(manifest["version"])
        _published[name] = max(_published.get(name, 0), version)
    return published if isinstance(published, dict) else manifest
