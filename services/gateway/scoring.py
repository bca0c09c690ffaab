"""The one call behind /v1 predict and /v2 infer: send rows through the SDK, map its outcome to a gateway error.

The SDK gives every request a deadline of now + ``GATEWAY_PREDICT_TIMEOUT_S``; a scorer that picks
it up later answers ``TIMEOUT`` unscored, which becomes a 504 like a reply that never came.

``SpindriftClient.predict_async`` returns a concurrent future; awaiting it wrapped in asyncio keeps
the event loop free while the request is on Kafka.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from spindrift import wire
from spindrift.client import ClientClosed, Prediction, ReplyTimeout, ScoringError, SpindriftClient, SpindriftClientError
from spindrift.serving.errors import http_status_of

from .errors import (
    Conflict,
    GatewayError,
    InvalidInput,
    KafkaUnavailable,
    NotFound,
    PayloadTooLarge,
    ReplyTimedOut,
    ScorerFailed,
)
from .metrics import REPLY_TIMEOUTS

__all__ = ["OutputSelection", "score", "wire_outputs"]

OutputSelection = list[str] | Literal["all"] | None

# A scorer's error code becomes the gateway error of the HTTP status spindrift.serving gives the code;
# any other status (INTERNAL, a code newer than this gateway) means the scorer failed: 502.
_ERROR_OF_STATUS: dict[int, type[GatewayError]] = {
    cls.status: cls for cls in (InvalidInput, NotFound, Conflict, ReplyTimedOut, PayloadTooLarge)
}


def wire_outputs(outputs: OutputSelection) -> list[str] | None:
    """The ``outputs`` field of a ScoreRequest: None = the final stage's columns, ``["*"]`` = every column."""
    if outputs is None:
        return None
    if outputs == "all":
        return ["*"]
    return list(outputs)


async def score(
    client: SpindriftClient,
    model: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    version: str | int | None,
    outputs: OutputSelection,
    timeout: float,
) -> Prediction:
    """Score ``rows``; raises the :mod:`.errors` exception that matches the outcome."""
    try:
        future = client.predict_async(model, rows, version=version, timeout=timeout, outputs=wire_outputs(outputs))
    except wire.WireError as exc:
        raise InvalidInput(_locate_bad_row(model, rows, exc)) from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(str(exc)) from None
    except ClientClosed as exc:
        raise KafkaUnavailable(f"the gateway is shutting down: {exc}") from None
    try:
        return await asyncio.wrap_future(future)
    except ScoringError as exc:
        error_class = _ERROR_OF_STATUS.get(http_status_of(exc.code), ScorerFailed)
        if error_class is ReplyTimedOut:
            REPLY_TIMEOUTS.inc()
            raise ReplyTimedOut(_deadline_message(model, timeout, exc.message)) from None
        raise error_class(exc.message) from None
    except ReplyTimeout as exc:
        REPLY_TIMEOUTS.inc()
        raise ReplyTimedOut(str(exc)) from None
    except ClientClosed as exc:
        raise KafkaUnavailable(f"the gateway is shutting down: {exc}") from None
    except SpindriftClientError as exc:
        raise KafkaUnavailable(str(exc)) from None


def _deadline_message(model: str, timeout: float, scorer_message: str) -> str:
    """The 504 message for a request a scorer refused because the gateway's deadline had passed."""
    return (
        f"no prediction from model {model!r} within the gateway's {timeout:g} s timeout "
        f"(GATEWAY_PREDICT_TIMEOUT_S): {scorer_message}"
    )


def _locate_bad_row(model: str, rows: Sequence[Mapping[str, Any]], error: wire.WireError) -> str:
    """The encoding error prefixed with the first row that cannot be encoded (the SDK checks all rows at once)."""
    for index, row in enumerate(rows):
        record = {"request_id": "probe", "model": model, "version": None, "rows": [dict(row)], "reply_topic": None}
        try:
            wire.encode("ScoreRequest", {**record, "sent_at_ms": None})
        except wire.WireError as exc:
            return f"row {index}: {exc}"
    return str(error)
