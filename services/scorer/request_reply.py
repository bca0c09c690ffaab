"""Kafka request/reply adapter: translate records to :class:`ScoreCall` s, make ONE data-plane call, reply.

Requests come from ``score.requests`` (a consumer group shared by every scorer). The reply
goes to the ``kafka_replyTopic`` header (what Spring's ``ReplyingKafkaTemplate`` sends) or
else the body's ``reply_topic``; it echoes ``kafka_correlationId`` (else the request id) and
answers in the request's content type (JSON in, JSON out). A record that cannot be decoded,
or that names nowhere to reply, goes to the DLQ with Spring's ``kafka_dlt-*`` headers, and
the records behind it are answered as usual. A body's ``deadline_ms`` (Avro or JSON) travels
with the call: the data plane answers ``TIMEOUT`` instead of scoring a request past it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from confluent_kafka import KafkaError

from spindrift import wire
from spindrift.kafka import headers as kh
from spindrift.kafka.records import Record
from spindrift.serving.dataplane import DataPlane, ErrorCode, ScoreCall, ScoreOutcome

from . import metrics
from .loop import Outgoing, dead_letter

log = logging.getLogger(__name__)


class UndeliverableRequest(ValueError):
    """A decodable request that names no reply topic, so its answer could not reach anyone."""


@dataclass(frozen=True)
class Incoming:
    """One polled record: a call to score, or the reason it goes to the DLQ."""

    record: Record
    call: ScoreCall | None
    reply_topic: str | None
    correlation_id: bytes | None
    json: bool
    sent_at_ms: int | None = None
    error: BaseException | None = None
    refusal: str | None = None
    """Why the call is answered INVALID_INPUT without scoring it (e.g. the record is too large)."""
    reply_partition: int | None = None
    """Spring's ``kafka_replyPartition``: the partition of the reply topic the caller reads."""


class RequestReplyHandler:
    """The :class:`~services.scorer.loop.RecordHandler` of the request/reply mode."""

    def __init__(
        self,
        plane: DataPlane,
        dlq_topic: str,
        *,
        max_request_bytes: int | None = None,
        max_reply_bytes: int | None = None,
    ) -> None:
        self.plane = plane
        self.dlq_topic = dlq_topic
        self.max_request_bytes = max_request_bytes
        self.max_reply_bytes = max_reply_bytes

    def decode(self, record: Record) -> Incoming:
        """Decode a ScoreRequest and find where to reply; never raises."""
        received_at = time.monotonic()
        headers = record.headers
        # Spring's JsonSerializer sends no content-type: a body starting with '{' is JSON (Avro starts with C3 01).
        is_json = (kh.get_header_str(headers, kh.CONTENT_TYPE) or "").startswith(kh.JSON_CONTENT_TYPE) or (
            record.value is not None and record.value[:1] == b"{"
        )
        try:
            if record.value is None:
                raise wire.WireError("the record has no value (a tombstone); send a ScoreRequest")
            _name, body = wire.decode(record.value, headers, expected="ScoreRequest")
            if not isinstance(body, dict):
                raise wire.WireError(f"a ScoreRequest must be an object, got {type(body).__name__}")
            reply_topic = kh.get_header_str(headers, kh.REPLY_TOPIC) or body.get("reply_topic")
            if not reply_topic:
                raise UndeliverableRequest(
                    f"request {body.get('request_id')!r} names no reply topic; set the {kh.REPLY_TOPIC} header "
                    "or the reply_topic field"
                )
        except (wire.WireError, UndeliverableRequest) as exc:
            return Incoming(record, None, None, None, is_json, error=exc)
        # From here on the caller can be answered: shape problems become INVALID_INPUT replies.
        request_id = body.get("request_id") or kh.get_header_str(headers, kh.CORRELATION_ID)
        request_id = str(request_id or f"{record.topic}-{record.partition}@{record.offset}")
        version = body.get("version")
        rows: Any = body.get("rows")
        call = ScoreCall(
            request_id=request_id,
            model=str(body.get("model") or ""),
            rows=rows if rows is not None else [],
            version=None if version is None else str(version),
            received_at=received_at,
            outputs=body.get("outputs"),
            deadline_ms=_epoch_ms(body.get("deadline_ms")),
        )
        correlation = kh.get_header(headers, kh.CORRELATION_ID) or request_id.encode()
        sent_at = body.get("sent_at_ms")
        refusal = None
        if self.max_request_bytes is not None and len(record.value) > self.max_request_bytes:
            refusal = (
                f"the request is {len(record.value)} bytes, more than this scorer's limit of "
                f"{self.max_request_bytes} (SCORER_MAX_REQUEST_BYTES); split it into smaller requests"
            )
        return Incoming(
            record,
            call,
            str(reply_topic),
            correlation,
            is_json,
            sent_at if isinstance(sent_at, int) else None,
            refusal=refusal,
            reply_partition=kh.get_header_int(headers, kh.REPLY_PARTITION),
        )

    def rows_of(self, item: Incoming) -> int:
        """Rows the request will cost (1 for a dead letter)."""
        return _row_count(item.call) if item.call is not None else 1

    def handle(self, items: Sequence[Incoming]) -> list[Outgoing]:
        """Score every decodable request in one data-plane call; replies and dead letters to produce."""
        calls = [item.call for item in items if item.call is not None and item.refusal is None]
        outcomes = iter(self.plane.score(calls, transport="kafka")) if calls else iter(())
        metrics.BATCH_ROWS.observe(sum(_row_count(c) for c in calls))
        out: list[Outgoing] = []
        for item in items:
            if item.call is None:
                assert item.error is not None
                log.warning(
                    "dead-lettering %s-%d@%d: %s",
                    item.record.topic,
                    item.record.partition,
                    item.record.offset,
                    item.error,
                )
                out.append(dead_letter(item.record, item.error, self.dlq_topic))
            elif item.refusal is not None:
                out.append(self._reply(item, _error_outcome(item.call, self.plane.scorer_id, item.refusal)))
            else:
                out.append(self._reply(item, next(outcomes)))
            if item.sent_at_ms is not None:
                metrics.REQUEST_AGE_SECONDS.observe(max(0.0, time.time() - item.sent_at_ms / 1000.0))
        return out

    def _reply(self, item: Incoming, outcome: ScoreOutcome) -> Outgoing:
        assert item.reply_topic is not None and item.correlation_id is not None
        headers: list[tuple[str, bytes]] = [(kh.CORRELATION_ID, item.correlation_id)]
        if item.json:
            headers.append((kh.CONTENT_TYPE, kh.JSON_CONTENT_TYPE.encode()))
        value = self._encode(outcome, item.json)
        if self.max_reply_bytes is not None and len(value) > self.max_reply_bytes:
            value = self._encode(_too_large(outcome, len(value), f"the {self.max_reply_bytes}-byte limit"), item.json)
        return Outgoing(
            item.reply_topic,
            value,
            item.correlation_id,
            tuple(headers),
            source=item.record,
            partition=item.reply_partition,
            if_rejected=functools.partial(self._refused, item, outcome, len(value)),
        )

    def _refused(self, item: Incoming, outcome: ScoreOutcome, size: int, error: KafkaError) -> Outgoing:
        """The reply to send when the broker refused ``outcome``'s reply of ``size`` bytes (its topic's limit)."""
        return self._reply(item, _too_large(outcome, size, f"what the broker accepts ({error.str()})"))

    def _encode(self, outcome: ScoreOutcome, as_json: bool) -> bytes:
        record = reply_record(outcome)
        try:
            return _encode_reply(record, as_json)
        except Exception as exc:  # an output value the schema cannot carry must still get an answer
            log.exception("could not encode the reply to %s", outcome.request_id)
            failed = replace(
                outcome,
                rows=None,
                error_code=ErrorCode.INTERNAL,
                error_message=f"the scored rows could not be encoded as a ScoreReply: {exc}",
            )
            return _encode_reply(reply_record(failed), as_json)


def reply_record(outcome: ScoreOutcome) -> dict[str, Any]:
    """The ``ScoreReply`` record (Avro/JSON shape) for ``outcome``."""
    if outcome.ok:
        body: dict[str, Any] = {"rows": outcome.rows}
    else:
        code = outcome.error_code.value if outcome.error_code else "INTERNAL"
        body = {"code": code, "message": outcome.error_message}
    return {
        "request_id": outcome.request_id,
        "model": outcome.model,
        "version": outcome.version,
        "outcome": body,
        "scorer": outcome.scorer,
        "latency_ms": outcome.latency_ms,
    }


def _too_large(outcome: ScoreOutcome, size: int, limit: str) -> ScoreOutcome:
    """The REPLY_TOO_LARGE answer replacing ``outcome``, whose reply came to ``size`` bytes."""
    rows = f" for {len(outcome.rows)} rows" if outcome.rows is not None else ""
    return replace(
        outcome,
        rows=None,
        error_code=ErrorCode.REPLY_TOO_LARGE,
        error_message=(
            f"the reply is {size} bytes{rows}, more than {limit}; send fewer rows per request or ask for fewer outputs"
        ),
    )


def _error_outcome(call: ScoreCall | None, scorer: str, message: str) -> ScoreOutcome:
    """The INVALID_INPUT answer to a call refused before scoring."""
    assert call is not None
    return ScoreOutcome(
        request_id=call.request_id,
        model=call.model,
        version=None,
        scorer=scorer,
        latency_ms=(time.monotonic() - call.received_at) * 1000.0,
        error_code=ErrorCode.INVALID_INPUT,
        error_message=message,
    )


def _epoch_ms(value: Any) -> int | None:
    """The body's ``deadline_ms`` (a long or null by schema) as an int, or None for no deadline."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _row_count(call: ScoreCall) -> int:
    """Rows in a call, counting a malformed ``rows`` value (to be rejected later) as one."""
    return len(call.rows) if isinstance(call.rows, list) else 1


def _encode_reply(record: dict[str, Any], as_json: bool) -> bytes:
    return wire.encode_json("ScoreReply", record) if as_json else wire.encode("ScoreReply", record)
