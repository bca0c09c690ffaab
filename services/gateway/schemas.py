"""Request and response bodies of the /v1 API (pydantic models; they also make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AliasRequest",
    "AliasResponse",
    "HealthResponse",
    "JobAccepted",
    "JobEventBody",
    "JobList",
    "JobModelRef",
    "JobResponse",
    "ModelDetail",
    "ModelList",
    "ModelSummary",
    "ModelVersionBody",
    "PredictRequest",
    "PredictResponse",
]

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class PredictRequest(BaseModel):
    """Rows to score with a model."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, Any]] = Field(min_length=1, description="Input rows: column name to value.")
    version: str | int | None = Field(
        default=None, description="A version number or an alias; omitted: alias 'production', else the latest."
    )
    outputs: list[str] | Literal["all"] | None = Field(
        default=None,
        description="Columns to return: omitted = the final stage's outputs; a list of names; 'all' = every column.",
    )


class PredictResponse(BaseModel):
    """Predictions, one per input row, and the version that produced them."""

    model: str
    version: int | None
    predictions: list[dict[str, Any]]
    latency_ms: float = Field(description="Gateway → Kafka → scorer → gateway round trip.")


class HealthResponse(BaseModel):
    """A health answer with what it is based on."""

    status: Literal["ok", "unavailable"]
    detail: str = ""


class JobAccepted(BaseModel):
    """A job was queued."""

    job_id: str
    state: JobState
    links: dict[str, str]


class JobModelRef(BaseModel):
    """The model a job published (or scored with)."""

    name: str
    version: int | None = None


class JobEventBody(BaseModel):
    """One step of a job's history."""

    seq: int
    type: str
    at_ms: int
    message: str
    progress: float | None = None
    details: dict[str, Any] | None = None
    worker: str | None = None


class JobResponse(BaseModel):
    """A job's current state and history."""

    job_id: str
    kind: str | None
    state: JobState
    progress: float | None = None
    model: JobModelRef | None = None
    servable: bool | None = None
    reason: str | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None
    created_at_ms: int
    updated_at_ms: int
    events: list[JobEventBody] = Field(default_factory=list)
    links: dict[str, str] = Field(default_factory=dict)


class JobList(BaseModel):
    """One page of jobs, newest first."""

    jobs: list[JobResponse]
    total: int
    limit: int
    offset: int
    next: str | None = Field(default=None, description="URL of the next page, if any.")


class ModelVersionBody(BaseModel):
    """One published version of a model."""

    version: int
    servable: bool
    reason: str | None = None
    retired: bool = False
    published_at_ms: int
    sha256: str
    aliases: list[str] = Field(default_factory=list)
    input_schema: list[dict[str, Any]] = Field(default_factory=list)
    output_schema: list[dict[str, Any]] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    parity: dict[str, Any] = Field(default_factory=dict, description="Summary of the parity certificate.")
    job_id: str | None = None
    spark_version: str | None = None


class ModelSummary(BaseModel):
    """A model in the list: its default version and aliases."""

    name: str
    default_version: int | None = Field(description="What predict without a version uses (None: nothing servable).")
    latest_version: int
    aliases: dict[str, int]
    versions: int


class ModelList(BaseModel):
    """Every model the registry knows."""

    models: list[ModelSummary]


class ModelDetail(BaseModel):
    """A model with all its versions."""

    name: str
    default_version: int | None
    aliases: dict[str, int]
    versions: list[ModelVersionBody]


class AliasRequest(BaseModel):
    """Point an alias at a version."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


class AliasResponse(BaseModel):
    """An alias after the change."""

    model: str
    alias: str
    version: int
