"""Readers of the directory layout Spark ML writes with ``save()`` (metadata JSON + parquet)."""

from .data import decode_matrix, decode_vector, read_data, read_rows
from .metadata import StageMetadata, read_metadata

__all__ = ["StageMetadata", "decode_matrix", "decode_vector", "read_data", "read_metadata", "read_rows"]
