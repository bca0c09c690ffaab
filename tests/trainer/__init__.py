"""Tests of the trainer service (mirrors services/trainer)."""
