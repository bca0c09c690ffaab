"""The protocol-free scoring data plane: requests in, replies out, one call per batch.

Adapters (the Kafka worker, stream mode, an HTTP gateway) translate their messages into
:class:`ScoreCall` objects and make ONE call to :meth:`DataPlane.score`. Here the batch is
grouped by the model version each request resolves to, each group is scored with one
vectorised ``transform_rows`` call asking for the columns the group's requests want (so
the runtime skips stages and intermediate columns nobody asked for), and results are
split back per request. A bad row
fails only its own request; an unknown model or version gets an error reply, never silence.
A call whose ``deadline_ms`` has passed when its batch starts is answered ``TIMEOUT`` without
being scored: its caller has given up, and the requests queued behind it have not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparkml_runtime import InvalidInputError, RowFiltered

from . import metrics
from .errors import ErrorCode, ServingError
from .model_store import LoadedVersion, ModelStore, ResolveError, StoreSnapshot
from .projection import UnknownColumn, check_outputs, project, union_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreCall:
    """One request to score ``rows`` with a model; ``version`` is a number as text, an alias or None."""

    request_id: str
    model: str
    rows: Sequence[Mapping[str, Any]]
    version: str | None = None
    received_at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the adapter received it; replies report latency from here."""
    outputs: Sequence[str] | None = None
    """Columns each reply row carries: None = the final stage's outputs, ``["*"]`` = every column."""
    deadline_ms: int | None = None
    """When the caller stops waiting (epoch ms); a call picked up later is answered TIMEOUT, unscored."""


@dataclass(frozen=True)
class ScoreOutcome:
    """The answer to one :class:`ScoreCall`: scored rows, or an error code and message."""

    request_id: str
    model: str
    version: int | None
    scorer: str
    latency_ms: float
    rows: list[dict[str, Any]] | None = None
    error_code: ErrorCode | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the request was scored."""
        return self.error_code is None

    def scored_rows(self) -> list[dict[str, Any]]:
        """The scored rows; raises :class:`ServingError` (its code, message and HTTP status) for an error outcome."""
        if self.error_code is not None:
            raise ServingError(self.error_code, self.error_message or "", self.version)
        return self.rows or []


def _describe_row_error(err: Exception, first_row: int) -> str:
    """Name the failing row relative to its own request, with column and stage."""
    if isinstance(err, InvalidInputError):
        row = None if err.row is None else err.row - first_row
        return str(InvalidInputError(err.message, column=err.column, stage=err.stage, row=row))
    return str(err)


class DataPlane:
    """Scores batches of :class:`ScoreCall` against the models of a :class:`ModelStore`."""

    def __init__(
        self,
        store: ModelStore,
        scorer_id: str,
        *,
        loading_wait_s: float = 5.0,
        max_rows: int | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.scorer_id = scorer_id
        self.loading_wait_s = loading_wait_s
        self.max_rows = max_rows
        self.wall_clock = wall_clock
        """Epoch seconds, compared with each call's ``deadline_ms`` (injectable for tests)."""

    def score(self, calls: Sequence[ScoreCall], *, transport: str = "inline") -> list[ScoreOutcome]:
        """Answer every call, in order; never raises for a bad request, only returns an error outcome.

        ``transport`` names the adapter the calls came through (``kafka``, ``stream``, ``inline``...)
        on the requests metric.
        """
        snapshot = self.store.snapshot()  # the whole batch sees one immutable set of models
        outcomes: list[ScoreOutcome | None] = [None] * len(calls)
        groups: dict[tuple[str, int], list[int]] = {}
        resolved: dict[tuple[str, int], LoadedVersion] = {}
        now_ms = self.wall_clock() * 1000.0
        for i, call in enumerate(calls):
            if call.deadline_ms is not None and now_ms > call.deadline_ms:
                # Nobody waits for this answer any more: scoring it would only delay the requests behind it.
                metrics.EXPIRED.inc()
                outcomes[i] = self._error(call, None, ErrorCode.TIMEOUT, _expired_message(call, now_ms))
                continue
            problem = _check_call(call, self.max_rows)
            if problem is not None:
                outcomes[i] = self._error(call, None, ErrorCode.INVALID_INPUT, problem)
                continue
            try:
                loaded = snapshot.resolve(call.model, call.version)
            except ResolveError as exc:
                # Published a moment ago and still loading here: wait for it rather than
                # answer "unknown" to a caller who was just told the model is published.
                if not self.store.wait_while_loading(call.model, call.version, self.loading_wait_s):
                    outcomes[i] = self._error(call, exc.version, ErrorCode(exc.code), exc.message)
                    continue
                snapshot = self.store.snapshot()
                try:
                    loaded = snapshot.resolve(call.model, call.version)
                except ResolveError as again:
                    outcomes[i] = self._error(call, again.version, ErrorCode(again.code), again.message)
                    continue
            key = (loaded.name, loaded.version)
            resolved[key] = loaded
            groups.setdefault(key, []).append(i)
        for key, members in groups.items():
            self._score_group(resolved[key], [calls[i] for i in members], members, outcomes)
        done = [o for o in outcomes if o is not None]
        assert len(done) == len(calls), "every call gets exactly one outcome"
        for o in done:
            outcome = o.error_code.value if o.error_code else "ok"
            metrics.REQUESTS.labels(o.model, str(o.version), outcome, transport).inc()
        return done

    def snapshot(self) -> StoreSnapshot:
        """The model snapshot a batch started now would use (for status pages)."""
        return self.store.snapshot()

    def _score_group(
        self,
        loaded: LoadedVersion,
        calls: list[ScoreCall],
        positions: list[int],
        outcomes: list[ScoreOutcome | None],
    ) -> None:
        # Resolve each call's output columns first: a request naming an unknown column costs no scoring.
        columns: list[tuple[str, ...] | None] = []
        scorable: list[tuple[int, ScoreCall]] = []
        for pos, call in zip(positions, calls, strict=True):
            try:
                columns.append(loaded.projection.columns(call.outputs, call.rows))
            except UnknownColumn as exc:
                outcomes[pos] = self._error(call, loaded.version, ErrorCode.INVALID_INPUT, str(exc))
                continue
            scorable.append((pos, call))
        if not scorable:
            return
        all_rows: list[Mapping[str, Any]] = [row for _, call in scorable for row in call.rows]
        wanted = union_of(columns)
        version_label = str(loaded.version)
        started = time.perf_counter()
        try:
            results = loaded.pipeline.transform_rows(all_rows, errors="return", outputs=wanted)
        except Exception as exc:  # a runtime bug must fail these requests, not the worker
            log.exception("scoring %s v%s failed for a batch of %d rows", loaded.name, loaded.version, len(all_rows))
            for pos, call in scorable:
                outcomes[pos] = self._error(
                    call, loaded.version, ErrorCode.INTERNAL, f"scoring failed: {type(exc).__name__}: {exc}"
                )
            return
        metrics.SCORE_SECONDS.labels(loaded.name, version_label).observe(time.perf_counter() - started)
        start = 0
        for (pos, call), names in zip(scorable, columns, strict=True):
            mine = results[start : start + len(call.rows)]
            first_row = start
            start += len(call.rows)
            bad = next((r for r in mine if isinstance(r, Exception) and not isinstance(r, RowFiltered)), None)
            if bad is not None:
                outcomes[pos] = self._error(
                    call, loaded.version, ErrorCode.INVALID_INPUT, _describe_row_error(bad, first_row)
                )
                continue
            # Rows a handleInvalid='skip' stage filtered are left out, as Spark's transform does.
            rows = [r for r in mine if isinstance(r, dict)]
            if names != wanted:  # batch-mates asked for more columns than this request
                rows = project(rows, names)
            metrics.ROWS.labels(loaded.name, version_label).inc(len(rows))
            outcomes[pos] = ScoreOutcome(
                request_id=call.request_id,
                model=loaded.name,
                version=loaded.version,
                scorer=self.scorer_id,
                latency_ms=_elapsed_ms(call),
                rows=rows,
            )

    def _error(self, call: ScoreCall, version: int | None, code: ErrorCode, message: str) -> ScoreOutcome:
        return ScoreOutcome(
            request_id=call.request_id,
            model=call.model,
            version=version,
            scorer=self.scorer_id,
            latency_ms=_elapsed_ms(call),
            error_code=code,
            error_message=message,
        )


def _check_call(call: ScoreCall, max_rows: int | None = None) -> str | None:
    """A message naming what is wrong with the request's shape, or None when it can be scored."""
    if not call.model:
        return "the request names no model; set 'model' to a published model name"
    if not isinstance(call.rows, Sequence) or isinstance(call.rows, (str, bytes)):
        return f"'rows' must be a list of objects, got {type(call.rows).__name__}"
    if not call.rows:
        return "'rows' is empty; send at least one row to score"
    if max_rows is not None and len(call.rows) > max_rows:
        return (
            f"the request has {len(call.rows)} rows, more than this scorer's limit of {max_rows} "
            "(SCORER_MAX_REQUEST_ROWS); split it into smaller requests"
        )
    for i, row in enumerate(call.rows):
        if not isinstance(row, Mapping):
            return f"row {i} must be an object mapping column names to values, got {type(row).__name__}"
    return check_outputs(call.outputs)


def _expired_message(call: ScoreCall, now_ms: float) -> str:
    """Why an expired call was not scored, and what the caller can do."""
    return (
        f"the request's deadline passed {now_ms - (call.deadline_ms or 0):.0f} ms before a scorer picked it up, "
        "so it was not scored (scorers are behind, or one was failing over); retry it, or allow a longer timeout"
    )


def _elapsed_ms(call: ScoreCall) -> float:
    return (time.monotonic() - call.received_at) * 1000.0
