"""Small dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..backend import Backend
from ..settings import GatewaySettings

__all__ = ["BackendDep", "SettingsDep", "backend_of", "settings_of"]


def backend_of(request: Request) -> Backend:
    """The process's :class:`Backend` (created in the lifespan)."""
    backend: Backend = request.app.state.backend
    return backend


def settings_of(request: Request) -> GatewaySettings:
    """The process's settings."""
    settings: GatewaySettings = request.app.state.settings
    return settings


BackendDep = Annotated[Backend, Depends(backend_of)]
"""A route parameter that receives the process's :class:`Backend`."""

SettingsDep = Annotated[GatewaySettings, Depends(settings_of)]
"""A route parameter that receives the process's settings."""
