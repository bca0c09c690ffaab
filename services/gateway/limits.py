"""Request body limit as a pure ASGI middleware: a body over ``max_bytes`` is answered 413, never read whole.

A declared ``Content-Length`` over the limit is refused before reading; a chunked body is read
(at most ``max_bytes`` of it) before the app sees it, and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PayloadTooLarge

__all__ = ["BodyLimit"]


class BodyLimit:
    """Wraps an ASGI app so no request body larger than ``max_bytes`` reaches it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send, int(declared))
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server stops reading at the declared length
            return
        # No declared length (a chunked upload): read up to the limit first, then replay it to the app.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # a disconnect: let the app see it
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(scope, send, seen)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self, size: int) -> str:
        return (
            f"request body of {size} bytes or more is over the limit of {self.max_bytes} bytes "
            "(GATEWAY_MAX_BODY_BYTES); send fewer rows per request"
        )

    async def _refuse(self, scope: Scope, send: Send, size: int) -> None:
        body: dict[str, str] = {"error": self._message(size)}
        if not str(scope.get("path", "")).startswith("/v2/"):
            body["code"] = PayloadTooLarge.code
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})
