"""Stream mode: enrich every event of an input topic with its prediction, on an output topic.

``python -m services.scorer --stream IN:OUT --model NAME [--version V]`` runs this handler in
the same at-least-once loop as request/reply, through the same data plane, in its own
consumer group. Input events are:

- a JSON object (``content-type: application/json``, or any value starting with ``{``): one
  event → one JSON object on OUT: the event plus the prediction columns;
- an Avro single-object ``ScoreRequest`` (its ``rows`` are the events; its ``model`` and
  ``version`` are ignored in favour of the command line): → one Avro ``ScoreReply`` on OUT
  whose rows are the enriched events.

The output record keeps the input key; headers ``spindrift-model`` and
``spindrift-model-version`` name the version that scored it. An event that cannot be decoded
or scored goes to the DLQ with Spring's ``kafka_dlt-*`` headers naming why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from spindrift import wire
from spindrift.kafka import headers as kh
from spindrift.kafka.records import Record
from spindrift.serving.dataplane import DataPlane, ScoreCall, ScoreOutcome
from spindrift.serving.model_store import ResolveError
from spindrift.serving.projection import ALL

from .loop import Outgoing, dead_letter
from .request_reply import reply_record

log = logging.getLogger(__name__)

MODEL_HEADER = "spindrift-model"
VERSION_HEADER = "spindrift-model-version"


class StreamEventError(ValueError):
    """An event that could not be scored; its message says why (the DLQ's exception message)."""


def parse_stream_spec(spec: str) -> tuple[str, str]:
    """``"IN:OUT"`` → ``("IN", "OUT")``; raises ValueError naming the expected form."""
    parts = spec.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ValueError(f"--stream expects IN:OUT (two topic names separated by a colon), got {spec!r}")
    if parts[0] == parts[1]:
        raise ValueError(f"--stream input and output must be different topics, got {spec!r}")
    return parts[0].strip(), parts[1].strip()


@dataclass(frozen=True)
class StreamItem:
    """One input record: its events (rows) and their format, or why it is undecodable."""

    record: Record
    rows: list[dict[str, Any]]
    avro: bool
    error: BaseException | None = None


class StreamHandler:
    """The :class:`~services.scorer.loop.RecordHandler` of stream mode."""

    def __init__(
        self,
        plane: DataPlane,
        *,
        model: str,
        version: str | None,
        out_topic: str,
        dlq_topic: str,
        columns: Sequence[str] | None = None,
    ) -> None:
        self.plane = plane
        self.model = model
        self.version = version
        self.out_topic = out_topic
        self.dlq_topic = dlq_topic
        self.columns = list(columns) if columns else None

    def decode(self, record: Record) -> StreamItem:
        """Parse a JSON event or an Avro ScoreRequest; never raises."""
        value = record.value
        try:
            if value is None:
                raise wire.WireError("the record has no value (a tombstone); send a JSON object or a ScoreRequest")
            is_json = (kh.get_header_str(record.headers, kh.CONTENT_TYPE) or "").startswith(kh.JSON_CONTENT_TYPE)
            if is_json or value[:1] == b"{":
                event = wire.loads_json(value, "JSON event")
                if not isinstance(event, dict):
                    raise wire.WireError(f"a JSON event must be an object, got {type(event).__name__}")
                return StreamItem(record, [event], avro=False)
            _name, request = wire.decode(value, record.headers, expected="ScoreRequest")
            return StreamItem(record, list(request.get("rows") or []), avro=True)
        except wire.WireError as exc:
            return StreamItem(record, [], avro=False, error=exc)

    def rows_of(self, item: StreamItem) -> int:
        """Events in the item (at least 1)."""
        return max(1, len(item.rows))

    def handle(self, items: Sequence[StreamItem]) -> list[Outgoing]:
        """Score the batch's events in one data-plane call; enriched events and dead letters to produce."""
        scorable = [item for item in items if item.error is None]
        columns = self._columns()
        calls = [
            ScoreCall(
                request_id=f"{i.record.topic}-{i.record.partition}@{i.record.offset}",
                model=self.model,
                rows=i.rows,
                version=self.version,
                outputs=_stream_outputs(i.rows, *columns),
            )
            for i in scorable
        ]
        outcomes = (
            dict(zip((id(i) for i in scorable), self.plane.score(calls, transport="stream"), strict=True))
            if calls
            else {}
        )
        out: list[Outgoing] = []
        for item in items:
            if item.error is not None:
                out.append(dead_letter(item.record, item.error, self.dlq_topic))
                continue
            outcome = outcomes[id(item)]
            if not outcome.ok:
                error = StreamEventError(f"{outcome.error_code}: {outcome.error_message}")
                out.append(dead_letter(item.record, error, self.dlq_topic))
            elif not outcome.rows:
                error = StreamEventError("the model filtered every event of this record (a handleInvalid='skip' stage)")
                out.append(dead_letter(item.record, error, self.dlq_topic))
            else:
                try:
                    out.append(self._enriched(item, outcome, *columns))
                except (wire.WireError, TypeError, ValueError) as exc:  # an output the format cannot carry
                    out.append(
                        dead_letter(
                            item.record, StreamEventError(f"could not encode the result: {exc}"), self.dlq_topic
                        )
                    )
        return out

    def _columns(self) -> tuple[list[str] | None, set[str]]:
        """(columns added to each event, every column the pipeline produces).

        Added columns are ``--columns``, else the last stage's outputs (e.g. rawPrediction,
        probability, prediction), leaving out intermediate ones such as feature vectors.
        """
        try:
            loaded = self.plane.snapshot().resolve(self.model, self.version)
        except ResolveError:
            return None, set()  # the batch fails to score anyway and goes to the DLQ
        produced = {f.name for f in loaded.pipeline.output_schema}
        if self.columns is not None:
            return self.columns, produced
        stages = loaded.pipeline.stages
        return ([f.name for f in stages[-1].output_fields()] if stages else []), produced

    def _enriched(
        self, item: StreamItem, outcome: ScoreOutcome, selected: list[str] | None, produced: set[str]
    ) -> Outgoing:
        # A scored row echoes its event's columns, so rows a 'skip' stage dropped need no realignment.
        enriched = [_enrich(row, selected, produced) for row in outcome.rows or []]
        headers: list[tuple[str, bytes]] = [
            (MODEL_HEADER, outcome.model.encode()),
            (VERSION_HEADER, str(outcome.version).encode()),
        ]
        if item.avro:
            reply = replace(outcome, rows=enriched)
            value = wire.encode("ScoreReply", reply_record(reply))
        else:
            headers.append((kh.CONTENT_TYPE, kh.JSON_CONTENT_TYPE.encode()))
            value = wire.dumps_json(enriched[0])  # strict: NaN/±Infinity as strings
        return Outgoing(self.out_topic, value, item.record.key, tuple(headers), source=item.record)


def _stream_outputs(rows: Sequence[Any], selected: list[str] | None, produced: set[str]) -> tuple[str, ...]:
    """What the runtime is asked for: the event's own columns plus the selected ones it can give.

    Nothing else is computed (no token lists or feature vectors unless selected). A selected
    name neither produced nor in the event is left out, as :func:`_enrich` leaves it out.
    """
    if selected is None:
        return (ALL,)
    own = dict.fromkeys(k for r in rows if isinstance(r, Mapping) for k in r if k not in produced)
    names = tuple(dict.fromkeys([*own, *(c for c in selected if c in produced or c in own)]))
    return names or (ALL,)


def _enrich(scored: dict[str, Any], selected: list[str] | None, produced: set[str]) -> dict[str, Any]:
    """The event's own columns plus the selected prediction columns (all of them when None)."""
    if selected is None:
        return scored
    event = {k: v for k, v in scored.items() if k not in produced}
    return {**event, **{c: scored[c] for c in selected if c in scored}}
