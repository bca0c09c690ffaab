"""Benchmarks that measure Spindrift against Spark in the same run (``make bench``)."""
