"""An AWS Lambda handler that scores Kinesis events with a Spark ML pipeline, without Spark.

Deploy this file with the ``sparkml-runtime`` package (as a layer: see README.md here) and
set one of:

- ``SPINDRIFT_MODEL_DIR``: a directory written by ``PipelineModel.save()`` shipped with the
  function or a layer (``/opt/model``), or
- ``SPINDRIFT_MODEL`` (``name`` or ``name@version-or-alias``) and
  ``KAFKA_BOOTSTRAP_SERVERS``: the version is fetched from Spindrift's registry on Kafka into
  ``/tmp`` at cold start (this needs the ``spindrift`` package too).

``SPINDRIFT_OUTPUTS`` (comma-separated) picks the columns added to each event; by default
the final stage's outputs (``prediction``, ``probability``... for a classifier).

The model loads once per execution environment, during Lambda's init phase. Each invocation
decodes every record's base64 ``data`` as one JSON object (a row), scores all rows of the
batch in one vectorised call, and returns the enriched events. A record that is not a JSON
object, or that the model cannot score, is returned under ``errors`` with the reason: it
would fail on every retry, so it is reported rather than listed in ``batchItemFailures``
(which makes Lambda retry the batch from that record). Anything else raises, and Lambda
retries the batch.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparkml_runtime import Pipeline, RowFiltered, load_pipeline

log = logging.getLogger("spindrift.lambda")


@dataclass(frozen=True)
class ServedModel:
    """The loaded pipeline, what it is called, and the columns each event gains."""

    pipeline: Pipeline
    name: str
    version: int | None
    outputs: list[str]


def final_outputs(pipeline: Pipeline) -> list[str]:
    """The columns the pipeline's last stage adds (``prediction``, ``probability``... for a classifier)."""
    return [f.name for f in pipeline.stages[-1].output_fields()] if pipeline.stages else []


def load_configured_model(environ: Mapping[str, str] = os.environ) -> ServedModel:
    """Load the model the environment names (see the module docstring); a ValueError says what to set."""
    outputs = [c.strip() for c in environ.get("SPINDRIFT_OUTPUTS", "").split(",") if c.strip()]
    model_dir = environ.get("SPINDRIFT_MODEL_DIR")
    if model_dir:
        pipeline = load_pipeline(model_dir)
        return ServedModel(pipeline, os.path.basename(model_dir.rstrip("/")), None, outputs or final_outputs(pipeline))
    reference = environ.get("SPINDRIFT_MODEL")
    if not reference:
        raise ValueError("set SPINDRIFT_MODEL_DIR (a saved model directory) or SPINDRIFT_MODEL (name[@version])")
    from spindrift.kafka.settings import KafkaSettings
    from spindrift.registry.fetch import fetch_model

    name, _, ref = reference.partition("@")
    cache = environ.get("SPINDRIFT_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "spindrift-models")
    fetched = fetch_model(KafkaSettings(), name, ref or None, cache_dir=cache)
    pipeline = load_pipeline(fetched.path)
    return ServedModel(pipeline, fetched.name, fetched.version, outputs or final_outputs(pipeline))


def score_kinesis_event(model: ServedModel, event: Mapping[str, Any]) -> dict[str, Any]:
    """Enrich every record of a Kinesis event with the model's outputs; bad records are listed under ``errors``."""
    records: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for record in event.get("Records", []):
        kinesis = record["kinesis"]
        key = {"sequenceNumber": kinesis["sequenceNumber"], "partitionKey": kinesis.get("partitionKey")}
        try:
            row = json.loads(base64.b64decode(kinesis["data"], validate=True))
        except (binascii.Error, ValueError) as exc:
            errors.append({**key, "error": f"data is not base64-encoded JSON: {exc}"})
            continue
        if not isinstance(row, dict):
            errors.append({**key, "error": f"data must be one JSON object (a row), got {type(row).__name__}"})
            continue
        rows.append(row)
        keys.append(key)
    results = model.pipeline.transform_rows(rows, errors="return", outputs=model.outputs) if rows else []
    for key, row, result in zip(keys, rows, results, strict=True):
        if isinstance(result, RowFiltered):
            errors.append({**key, "error": f"filtered by the model: {result}"})
        elif isinstance(result, Exception):
            errors.append({**key, "error": str(result)})
        else:
            records.append({**key, "event": {**row, **result}})
    for bad in errors:
        log.warning("record %s not scored: %s", bad["sequenceNumber"], bad["error"])
    return {
        "model": model.name,
        "version": model.version,
        "records": records,
        "errors": errors,
        "batchItemFailures": [],
    }


_MODEL: ServedModel | None = None


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda's entry point (``handler.handler``): score the Kinesis batch with the configured model."""
    global _MODEL
    if _MODEL is None:  # not configured at init (e.g. the environment changed): try again, loudly
        _MODEL = load_configured_model()
    return score_kinesis_event(_MODEL, event)


# Load during the init phase, which Lambda runs with a full CPU before the first invocation.
if os.environ.get("SPINDRIFT_MODEL_DIR") or os.environ.get("SPINDRIFT_MODEL"):
    _MODEL = load_configured_model()
