"""The ``spindrift`` command line (Typer + Rich): the local topology and the HTTP gateway's API."""

from spindrift.cli.app import app

__all__ = ["app"]
