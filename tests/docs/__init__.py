"""Tests that run the examples of the Markdown documents."""
