"""Serving test fixtures: the scorer tests' tutorial models (two versions fitted and saved by real Spark)."""

from __future__ import annotations

from tests.scorer.conftest import tutorial_models

__all__ = ["tutorial_models"]
