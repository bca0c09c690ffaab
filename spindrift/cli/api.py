"""The gateway's HTTP API as the CLI uses it: one small httpx client, errors with one-line messages.

Every call either returns the decoded JSON body or raises :class:`ApiError` (the gateway
answered with an error status; ``message`` is its own words) or :class:`GatewayDown`
(nothing answers at the URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

__all__ = ["ApiError", "Gateway", "GatewayDown", "GatewayError"]


class GatewayError(Exception):
    """Base of the CLI's gateway errors; ``str()`` is the one line to print."""


class GatewayDown(GatewayError):
    """Nothing answers at the gateway URL."""


class ApiError(GatewayError):
    """The gateway answered with an error status."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class Gateway:
    """A client of one gateway; a context manager."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # --- the API ------------------------------------------------------------------------------------
    def ready(self) -> bool:
        """True when ``/v2/health/ready`` answers 200 (False when it answers otherwise)."""
        try:
            return self._http.get("/v2/health/ready").status_code == 200
        except httpx.TransportError as exc:
            raise self._down(exc) from None

    def submit_job(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/jobs``: queue a training (or batch-scoring) job; returns ``{"job_id", "state", "links"}``."""
        return self._call("POST", "/v1/jobs", json=dict(spec))

    def job(self, job_id: str) -> dict[str, Any]:
        """``GET /v1/jobs/{id}``: the job's state, model, servable flag, metrics, error and events."""
        return self._call("GET", f"/v1/jobs/{job_id}")

    def jobs(self, *, state: str | None = None, model: str | None = None, limit: int = 50) -> dict[str, Any]:
        """``GET /v1/jobs``: a page of jobs, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if state:
            params["state"] = state
        if model:
            params["model"] = model
        return self._call("GET", "/v1/jobs", params=params)

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """``DELETE /v1/jobs/{id}``: ask the trainer to cancel; the job then ends with CANCELLED (409 if it ended)."""
        return self._call("DELETE", f"/v1/jobs/{job_id}")

    def job_events(self, job_id: str) -> Iterator[dict[str, Any]]:
        """``GET /v1/jobs/{id}/events`` (server-sent events): each event's JSON data, until the job ends."""
        try:
            with self._http.stream(
                "GET", f"/v1/jobs/{job_id}/events", headers={"Accept": "text/event-stream"}, timeout=None
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._api_error(response)
                yield from _sse_data(response.iter_lines())
        except httpx.TransportError as exc:
            raise self._down(exc) from None

    def models(self) -> dict[str, Any]:
        """``GET /v1/models``."""
        return self._call("GET", "/v1/models")

    def model(self, name: str) -> dict[str, Any]:
        """``GET /v1/models/{name}``: versions, aliases, schemas, metrics."""
        return self._call("GET", f"/v1/models/{name}")

    def predict(
        self,
        name: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        version: str | None = None,
        outputs: Sequence[str] | str | None = None,
    ) -> dict[str, Any]:
        """``POST /v1/models/{name}/predict``: ``{"model", "version", "predictions", ...}``."""
        body: dict[str, Any] = {"rows": [dict(r) for r in rows]}
        if version is not None:
            body["version"] = version
        if outputs is not None:
            body["outputs"] = outputs if isinstance(outputs, str) else list(outputs)
        return self._call("POST", f"/v1/models/{name}/predict", json=body)

    def infer(self, name: str, inputs: Sequence[Mapping[str, Any]], *, version: str | None = None) -> dict[str, Any]:
        """``POST /v2/models/{name}[/versions/{v}]/infer`` (Open Inference Protocol): ``{"outputs": [tensors]}``."""
        path = f"/v2/models/{name}" + (f"/versions/{version}" if version is not None else "") + "/infer"
        return self._call("POST", path, json={"inputs": [dict(i) for i in inputs]})

    def set_alias(self, name: str, alias: str, version: int) -> dict[str, Any]:
        """``PUT /v1/models/{name}/aliases/{alias}``: point ``alias`` at ``version``."""
        return self._call("PUT", f"/v1/models/{name}/aliases/{alias}", json={"version": version})

    # --- plumbing -----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._down(exc) from None
        if response.status_code >= 400:
            raise self._api_error(response)
        try:
            return dict(response.json())
        except ValueError:
            raise ApiError(response.status_code, f"the gateway answered {path} with a body that is not JSON") from None

    def _down(self, exc: Exception) -> GatewayDown:
        if isinstance(exc, httpx.TimeoutException):
            return GatewayDown(f"the gateway at {self.url} did not answer in time ({type(exc).__name__})")
        return GatewayDown(f"no gateway answers at {self.url}; start one with `make up`")

    @staticmethod
    def _api_error(response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = _message_of(body) or response.text.strip()[:300] or response.reason_phrase
        code = body.get("code") if isinstance(body, dict) else None
        return ApiError(response.status_code, message, code)


def _message_of(body: Any) -> str | None:
    """The error text of a gateway error body (``{"error": ...}``; FastAPI's ``{"detail": ...}`` too)."""
    if not isinstance(body, dict):
        return None
    for key in ("error", "message", "detail"):
        value = body.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value:  # FastAPI validation errors: [{"loc": [...], "msg": ...}]
            first = value[0]
            if isinstance(first, dict):
                where = ".".join(str(p) for p in first.get("loc", []))
                return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
            return str(first)
    return None


def _sse_data(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Decode a server-sent event stream: one dict per event (JSON ``data``; ``event`` added as ``_event``)."""
    data: list[str] = []
    event: str | None = None
    for line in lines:
        if not line:
            if data:
                yield _event_body("\n".join(data), event)
            data, event = [], None
        elif line.startswith(":"):
            continue  # a comment / keep-alive ping
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
    if data:
        yield _event_body("\n".join(data), event)


def _event_body(text: str, event: str | None) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        body = {"message": text}
    if not isinstance(body, dict):
        body = {"data": body}
    if event is not None:
        body.setdefault("_event", event)
    return body
