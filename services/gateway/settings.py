"""Gateway settings: pydantic ``BaseSettings`` read from ``GATEWAY_*`` environment variables.

Kafka connection settings live in :class:`spindrift.kafka.settings.KafkaSettings`
(``KAFKA_*``); these are only the gateway's own knobs.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["SCOPES", "GatewaySettings", "is_loopback", "parse_api_keys"]

SCOPES = frozenset({"train", "admin", "score"})
"""``train``: submit, list and cancel jobs. ``admin``: move model aliases. ``score``: predict and infer.
Reading model and job state needs any valid key."""


def parse_api_keys(raw: object) -> dict[str, frozenset[str]]:
    """API keys from ``"key1=train,admin,score;key2=score"`` or a JSON object ``{"key1": ["score"]}``."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("{"):
            raw = json.loads(text)
        else:
            parsed: dict[str, list[str]] = {}
            for entry in filter(None, (part.strip() for part in text.split(";"))):
                key, sep, scopes = entry.partition("=")
                if not sep or not key.strip():
                    raise ValueError(f"API key entry {entry[:4]}… must look like KEY=scope,scope")
                parsed[key.strip()] = [s.strip() for s in scopes.split(",") if s.strip()]
            raw = parsed
    if not isinstance(raw, dict):
        raise ValueError("api_keys must be 'KEY=scope,scope;KEY2=scope' or a JSON object of key to scope list")
    keys: dict[str, frozenset[str]] = {}
    for key, scopes in raw.items():
        scope_set = frozenset([scopes] if isinstance(scopes, str) else scopes)
        unknown = scope_set - SCOPES
        if unknown or not scope_set:
            raise ValueError(
                f"API key {str(key)[:4]}… has scopes {sorted(scope_set)}; each key needs one or more of {sorted(SCOPES)}"
            )
        keys[str(key)] = scope_set
    return keys


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GatewaySettings(BaseSettings):
    """Everything a gateway process needs besides the Kafka connection."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    """Interface to listen on. Anything but a loopback address needs ``api_keys``."""

    port: int = Field(default=8080, ge=0, le=65535)
    """HTTP port of every route, /metrics and /health/*."""

    api_keys: Annotated[dict[str, frozenset[str]], NoDecode] = Field(default_factory=dict, repr=False)
    """Bearer API keys and their scopes (train, admin, score): ``"k1=train,admin,score;k2=score"`` or a JSON
    object ``{"k1": ["score"]}``. Empty (the default) turns authentication off, allowed only on loopback."""

    scorer_group_id: str = "spindrift-scorers"
    """Consumer group of the scorers; /v2/health/ready needs at least one live member in it."""

    requests_topic: str = "score.requests"
    """Topic score requests are written to (the scorers' ``SCORER_REQUESTS_TOPIC``)."""

    reply_topic: str | None = None
    """This gateway's reply topic; None creates ``score.replies.<random>`` at start and deletes it at exit."""

    predict_timeout_s: float = Field(default=10.0, gt=0.0, le=600.0)
    """How long a predict or infer call waits for the scorer's reply before answering 504."""

    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Largest request body accepted; a larger one is answered 413."""

    max_rows: int = Field(default=10_000, ge=1)
    """Most rows (or tensor elements per input) in one predict or infer call; more is answered 413."""

    health_cache_s: float = Field(default=1.0, ge=0.0)
    """How long a readiness answer (Kafka reachable, scorers alive) is reused before asking Kafka again."""

    kafka_probe_timeout_s: float = Field(default=2.0, gt=0.0)
    """Timeout of one readiness probe of the cluster (describe the scorer group)."""

    connect_retry_s: float = Field(default=2.0, gt=0.0)
    """Pause between attempts to connect to Kafka while it is unreachable at start-up."""

    job_seen_timeout_s: float = Field(default=10.0, gt=0.0)
    """After submitting a job, how long to wait for its QUEUED event to come back on train.events."""

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> dict[str, frozenset[str]]:
        return parse_api_keys(value)

    @field_validator("scorer_group_id", "requests_topic")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def startup_problem(self) -> str | None:
        """A one-line reason this configuration must not start, or None."""
        if not self.api_keys and not is_loopback(self.host):
            return (
                f"refusing to listen on {self.host} without API keys: set GATEWAY_API_KEYS "
                "(e.g. 'KEY=train,admin,score') or bind to 127.0.0.1"
            )
        return None
