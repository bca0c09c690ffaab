"""Fixtures of the examples' tests: the tutorial models the scorer tests fit with Spark."""

from tests.scorer.conftest import tutorial_models

__all__ = ["tutorial_models"]
