"""Optional bearer API keys with scopes (``train``, ``admin``, ``score``); off when no key is configured.

A route declares the scope it needs with ``Depends(require("score"))``; reading state needs
only a valid key (``require(None)``). Health, metrics and docs need none.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from .errors import Forbidden, Unauthorized

__all__ = ["require"]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _scopes_of(request: Request, token: str) -> frozenset[str] | None:
    keys: dict[str, frozenset[str]] = request.app.state.settings.api_keys
    for key, scopes in keys.items():
        if hmac.compare_digest(key.encode(), token.encode()):
            return scopes
    return None


def require(scope: str | None) -> Callable[[Request], None]:
    """A dependency that checks the request's bearer key (when keys are configured) has ``scope``."""

    def check(request: Request) -> None:
        if not request.app.state.settings.api_keys:
            return
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise Unauthorized("this gateway needs an API key: send 'Authorization: Bearer KEY'", headers=_CHALLENGE)
        scopes = _scopes_of(request, token.strip())
        if scopes is None:
            raise Unauthorized("unknown API key", headers=_CHALLENGE)
        if scope is not None and scope not in scopes:
            raise Forbidden(f"this API key lacks the '{scope}' scope needed here (it has: {', '.join(sorted(scopes))})")

    return check
