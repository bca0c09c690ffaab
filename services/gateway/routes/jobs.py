"""/v1 jobs: submit (training or batch scoring), read, list, cancel, follow as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from sse_starlette.sse import EventSourceResponse

from services.trainer.batch import parse_batch_spec
from services.trainer.errors import SpecError
from services.trainer.spec import parse_train_spec
from spindrift.jobs import JobEvent, cancel_job, submit_batch_scoring, submit_training
from spindrift.kafka.produce import DeliveryFailed
from spindrift.registry.state import RegistryError

from ..backend import Backend
from ..errors import Conflict, InvalidInput, KafkaUnavailable, NotFound
from ..job_board import JobView
from ..schemas import JobAccepted, JobEventBody, JobList, JobModelRef, JobResponse
from ..security import require
from .deps import BackendDep

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JobId = Annotated[str, Path(description="Job id, as returned by POST /v1/jobs.", max_length=200)]

_SPEC_EXAMPLE = {
    "model": "tutorial",
    "pipeline": [
        {"stage": "Tokenizer", "params": {"inputCol": "text", "outputCol": "words"}},
        {"stage": "HashingTF", "params": {"inputCol": "words", "outputCol": "features"}},
        {"stage": "LogisticRegression", "params": {"maxIter": 10, "regParam": 0.001}},
    ],
    "data": {"rows": [{"text": "a b c d e spark", "label": 1.0}, {"text": "b d", "label": 0.0}]},
}


def _links(job_id: str) -> dict[str, str]:
    return {"self": f"/v1/jobs/{job_id}", "events": f"/v1/jobs/{job_id}/events"}


def _event_body(event: JobEvent) -> JobEventBody:
    return JobEventBody(
        seq=event.seq,
        type=event.type,
        at_ms=event.at_ms,
        message=event.message,
        progress=event.progress,
        details=event.details,
        worker=event.worker,
    )


def _job_body(view: JobView, backend: Backend, *, with_events: bool = True) -> JobResponse:
    reason = None
    if view.model is not None and view.version is not None and view.kind == "train":
        try:
            reason = backend.models.snapshot().get(view.model, view.version).reason
        except RegistryError:
            reason = None
    return JobResponse(
        job_id=view.job_id,
        kind=view.kind,
        state=view.state,  # type: ignore[arg-type]
        progress=view.progress,
        model=JobModelRef(name=view.model, version=view.version) if view.model else None,
        servable=view.servable,
        reason=reason,
        metrics=view.metrics,
        error=view.error,
        created_at_ms=view.created_at_ms,
        updated_at_ms=view.updated_at_ms,
        events=[_event_body(e) for e in view.events] if with_events else [],
        links=_links(view.job_id),
    )


def _validate(kind: str, spec: Mapping[str, Any]) -> None:
    """The trainer's own parser: a spec it would reject is rejected here with its message."""
    try:
        if kind == "score_batch":
            parse_batch_spec(spec)
        else:
            parse_train_spec(spec)
    except SpecError as exc:
        raise InvalidInput(exc.message) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc)) from None


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    summary="Submit a training or batch-scoring job",
    dependencies=[Depends(require("train"))],
    responses={422: {"description": "The trainer would reject this spec (same message)"}},
)
def submit_job(
    spec: Annotated[
        dict[str, Any],
        Body(
            description="A trainer spec (model, pipeline or function, data, evaluation), or a score_batch spec.",
            examples=[_SPEC_EXAMPLE],
        ),
    ],
    backend: BackendDep,
    kind: Annotated[
        Literal["train", "score_batch"], Query(description="'train' (default) or 'score_batch'.")
    ] = "train",
) -> JobAccepted:
    """Validate the spec, queue it on ``train.requests`` and answer with the job id (state ``queued``)."""
    _validate(kind, spec)
    backend.require_state()
    submit = submit_batch_scoring if kind == "score_batch" else submit_training
    try:
        job_id = submit(backend.kafka, spec, producer=backend.producer())
    except DeliveryFailed as exc:
        raise KafkaUnavailable(f"Kafka did not accept the job: {exc}") from None
    view = backend.jobs.wait_seen(job_id, backend.settings.job_seen_timeout_s)
    return JobAccepted(job_id=job_id, state=view.state if view else "queued", links=_links(job_id))  # type: ignore[arg-type]


@router.get("", response_model=JobList, summary="List jobs", dependencies=[Depends(require(None))])
def list_jobs(
    request: Request,
    backend: BackendDep,
    state: Annotated[Literal["queued", "running", "succeeded", "failed", "cancelled"] | None, Query()] = None,
    model: Annotated[str | None, Query(max_length=128, description="Only jobs of this model.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JobList:
    """Jobs newest first, filtered by state and model; ``next`` links the following page."""
    backend.require_state()
    views = backend.jobs.list(state=state, model=model)
    page = views[offset : offset + limit]
    next_url = None
    if offset + limit < len(views):
        next_url = str(request.url.include_query_params(offset=offset + limit, limit=limit))
    return JobList(
        jobs=[_job_body(v, backend, with_events=False) for v in page],
        total=len(views),
        limit=limit,
        offset=offset,
        next=next_url,
    )


@router.get("/{job_id}", response_model=JobResponse, summary="A job's state", dependencies=[Depends(require(None))])
def get_job(job_id: JobId, backend: BackendDep) -> JobResponse:
    """State, model and version once published, servable and its reason, metrics, error, and every event."""
    backend.require_state()
    view = backend.jobs.get(job_id)
    if view is None:
        raise NotFound(f"no job {job_id!r}; list jobs with GET /v1/jobs")
    return _job_body(view, backend)


@router.delete(
    "/{job_id}",
    status_code=202,
    response_model=JobResponse,
    summary="Cancel a job",
    dependencies=[Depends(require("train"))],
)
def delete_job(job_id: JobId, backend: BackendDep) -> JobResponse:
    """Ask the trainer to cancel; the job ends with CANCELLED (follow its events). 409 when it already ended."""
    backend.require_state()
    view = backend.jobs.get(job_id)
    if view is None:
        raise NotFound(f"no job {job_id!r}; list jobs with GET /v1/jobs")
    if view.terminal:
        raise Conflict(f"job {job_id} already ended ({view.state}); nothing to cancel")
    try:
        cancel_job(backend.kafka, job_id, producer=backend.producer())
    except DeliveryFailed as exc:
        raise KafkaUnavailable(f"Kafka did not accept the cancellation: {exc}") from None
    return _job_body(view, backend)


@router.get(
    "/{job_id}/events",
    summary="Follow a job's events (server-sent events, ending with the job)",
    dependencies=[Depends(require(None))],
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "One SSE event per job event."}},
)
async def job_events(job_id: JobId, backend: BackendDep) -> EventSourceResponse:
    """Every event of the job so far, then each new one as it happens; the stream ends after the terminal event."""
    await asyncio.to_thread(backend.require_state)
    if backend.jobs.get(job_id) is None:
        raise NotFound(f"no job {job_id!r}; list jobs with GET /v1/jobs")
    return EventSourceResponse(_stream(backend, job_id), ping=15)


async def _stream(backend: Backend, job_id: str) -> AsyncIterator[dict[str, str]]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[JobEvent] = asyncio.Queue()

    def deliver(event: JobEvent) -> None:  # runs on the follower thread
        loop.call_soon_threadsafe(queue.put_nowait, event)

    token, known = backend.jobs.subscribe(job_id, deliver)
    try:
        # train.events has one partition and the trainer writes a job's events in seq order, so
        # arrival order is seq order; anything at or below the last seq sent is a duplicate.
        last_seq = -1
        backlog = sorted(known, key=lambda e: e.seq)
        while True:
            event = backlog.pop(0) if backlog else await queue.get()
            if event.seq <= last_seq:
                continue
            last_seq = event.seq
            yield {
                "event": event.type.lower(),
                "id": str(event.seq),
                "data": json.dumps(_event_body(event).model_dump()),
            }
            if event.terminal:
                return
    finally:
        backend.jobs.unsubscribe(job_id, token)
