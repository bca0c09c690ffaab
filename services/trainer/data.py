"""Training and scoring data: inline rows, files under the data roots, or a Kafka topic snapshot.

A ``data`` spec is one of::

    {"rows": [{"text": "a b", "label": 1.0}, ...], "schema": "text string, label double"?,
     "vector_columns": ["features"]?}
    {"path": "/data/train.parquet", "format": "parquet|csv|json|libsvm", "options": {...}?, "schema": "..."?}
    {"topic": "clicks", "max_records": 10000?, "schema": "..."?, "vector_columns": [...]?}

Paths are confined to the configured data roots after resolving symlinks and ``..``;
glob characters are refused because Spark would expand them past that check. A topic is
read from its beginning up to the end offsets seen when the job starts; each record's
value must be a JSON object (one row).
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import DataError, SpecError, readable_message

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from spindrift.kafka.settings import KafkaSettings

FILE_FORMATS = ("parquet", "csv", "json", "libsvm")
_GLOB_CHARS = set("*?[]{}\\")
_DATA_FIELDS = {
    "rows": {"rows", "schema", "vector_columns"},
    "path": {"path", "format", "options", "schema", "vector_columns"},
    "topic": {"topic", "max_records", "schema", "vector_columns"},
}


@dataclass(frozen=True)
class DataSpec:
    """A validated data source: exactly one of ``rows``, ``path`` or ``topic`` is set."""

    rows: tuple[Mapping[str, Any], ...] | None = None
    path: str | None = None
    format: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    topic: str | None = None
    max_records: int | None = None
    schema: str | None = None
    vector_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short human description for progress messages."""
        if self.rows is not None:
            return f"{len(self.rows)} inline rows"
        if self.path is not None:
            return f"{self.format} at {self.path}"
        return f"topic {self.topic}"


def parse_data_spec(raw: Any, where: str = "data") -> DataSpec:
    """Validate the shape of a ``data`` spec (paths are checked against the roots when the job runs)."""
    if not isinstance(raw, Mapping):
        raise SpecError(f"'{where}' must be an object with 'rows', 'path' or 'topic'")
    kinds = [k for k in ("rows", "path", "topic") if k in raw]
    if len(kinds) != 1:
        raise SpecError(f"'{where}' needs exactly one of 'rows', 'path' or 'topic', got {sorted(raw)}")
    kind = kinds[0]
    unknown = sorted(set(raw) - _DATA_FIELDS[kind])
    if unknown:
        raise SpecError(f"'{where}': unknown field(s) {unknown} for {kind} data; allowed: {sorted(_DATA_FIELDS[kind])}")
    schema = raw.get("schema")
    if schema is not None and (not isinstance(schema, str) or not schema.strip()):
        raise SpecError(f"'{where}.schema' must be a Spark DDL string such as 'text string, label double'")
    vector_columns = raw.get("vector_columns", [])
    if not isinstance(vector_columns, list) or not all(isinstance(c, str) for c in vector_columns):
        raise SpecError(f"'{where}.vector_columns' must be a list of column names")
    common: dict[str, Any] = {"schema": schema, "vector_columns": tuple(vector_columns)}
    if kind == "rows":
        return DataSpec(rows=_check_rows(raw["rows"], where), **common)
    if kind == "path":
        return _parse_file_spec(raw, where, common)
    topic = raw["topic"]
    if not isinstance(topic, str) or not topic:
        raise SpecError(f"'{where}.topic' must be a topic name")
    max_records = raw.get("max_records")
    if max_records is not None and (
        not isinstance(max_records, int) or isinstance(max_records, bool) or max_records < 1
    ):
        raise SpecError(f"'{where}.max_records' must be a positive integer, got {max_records!r}")
    return DataSpec(topic=topic, max_records=max_records, **common)


def _parse_file_spec(raw: Mapping[str, Any], where: str, common: dict[str, Any]) -> DataSpec:
    path, fmt = raw["path"], raw.get("format")
    if not isinstance(path, str) or not path:
        raise SpecError(f"'{where}.path' must be a file or directory path")
    if fmt not in FILE_FORMATS:
        raise SpecError(f"'{where}.format' must be one of {', '.join(FILE_FORMATS)}, got {fmt!r}")
    options = raw.get("options", {})
    if not isinstance(options, Mapping) or not all(isinstance(v, (str, int, float, bool)) for v in options.values()):
        raise SpecError(f"'{where}.options' must be an object of string, number or boolean reader options")
    # Spark reader options are strings; booleans in Spark's lowercase spelling.
    as_text = {str(k): (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in options.items()}
    return DataSpec(path=path, format=fmt, options=as_text, **common)


def _check_rows(rows: Any, where: str) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(rows, list) or not rows:
        raise SpecError(f"'{where}.rows' must be a non-empty list of objects (one per row)")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not row:
            raise SpecError(f"'{where}.rows[{i}]' must be a non-empty object of column values, got {row!r}")
    return tuple(rows)


def resolve_under_roots(path: str, roots: Sequence[str]) -> str:
    """The path Spark should read or write, or a DataError if it lies outside every data root.

    Local paths are resolved (symlinks, ``..``) before the check; a relative path is taken
    relative to the first root. URIs (``s3a://...``) must start with a root URI and contain no ``..``.
    """
    if not roots:
        raise DataError(
            f"cannot use path {path!r}: no data roots are configured, so file data is refused; "
            "an operator sets TRAINER_DATA_ROOTS to the directories jobs may read and write"
        )
    if _GLOB_CHARS & set(path):
        raise DataError(
            f"path {path!r} contains glob characters ({''.join(sorted(_GLOB_CHARS))}); name a file or directory"
        )
    scheme = urlsplit(path).scheme
    if scheme and scheme != "file" and len(scheme) > 1:  # one letter would be a Windows drive
        return _check_uri(path, roots)
    local = urlsplit(path).path if scheme == "file" else path
    local_roots = [os.path.realpath(urlsplit(r).path if r.startswith("file:") else r) for r in roots if "://" not in r]
    if not local_roots:
        raise DataError(f"path {path!r} is local but every data root is a URI: {', '.join(roots)}")
    candidate = local if os.path.isabs(local) else os.path.join(local_roots[0], local)
    real = os.path.realpath(candidate)
    for root in local_roots:
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return real
    raise DataError(
        f"path {path!r} (resolved to {real}) is outside the data roots ({', '.join(local_roots)}); "
        "put the data under one of them"
    )


def _check_uri(path: str, roots: Sequence[str]) -> str:
    parts = urlsplit(path)
    if ".." in parts.path.split("/"):
        raise DataError(f"path {path!r} contains '..'; name the location directly")
    normal = f"{parts.scheme}://{parts.netloc}{posixpath.normpath(parts.path or '/')}"
    for root in roots:
        if "://" not in root:
            continue
        r = urlsplit(root)
        base = f"{r.scheme}://{r.netloc}{posixpath.normpath(r.path or '/')}".rstrip("/")
        if normal == base or normal.startswith(base + "/"):
            return normal
    raise DataError(f"path {path!r} is outside the data roots ({', '.join(roots)}); put the data under one of them")


def load_data(
    spark: SparkSession,
    spec: DataSpec,
    roots: Sequence[str],
    *,
    kafka: KafkaSettings | None = None,
    topic_max_records: int = 100_000,
) -> DataFrame:
    """Load a validated data spec as a DataFrame (paths checked against ``roots`` first)."""
    if spec.rows is not None:
        frame = rows_to_frame(spark, spec.rows, spec.schema, spec.vector_columns)
    elif spec.path is not None:
        frame = _read_file(spark, spec, roots)
    else:
        if kafka is None:
            raise DataError("topic data needs a Kafka connection, and this trainer has none configured")
        limit = min(spec.max_records or topic_max_records, topic_max_records)
        rows = read_topic_snapshot(kafka, spec.topic or "", limit)
        if not rows:
            raise DataError(f"topic {spec.topic!r} holds no records to train on")
        frame = rows_to_frame(spark, rows, spec.schema, spec.vector_columns)
    return frame


def rows_to_frame(
    spark: SparkSession, rows: Sequence[Mapping[str, Any]], schema: str | None, vector_columns: Sequence[str] = ()
) -> DataFrame:
    """A DataFrame from JSON rows: keys missing in some rows become null; ints mixed with floats become floats."""
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            names.setdefault(key, None)
    columns = list(names)
    missing_vectors = [c for c in vector_columns if c not in names]
    if missing_vectors:
        raise DataError(f"vector_columns {missing_vectors} are not columns of the data ({', '.join(columns)})")
    floats = {c for c in columns if _mixes_int_and_float(r.get(c) for r in rows)}
    vectors = set(vector_columns)
    table = [tuple(_cell(r.get(c), c, i, c in floats, c in vectors) for c in columns) for i, r in enumerate(rows)]
    try:
        if schema is not None:
            frame = spark.createDataFrame(table, schema=schema)
        else:
            frame = spark.createDataFrame(table, schema=columns)
    except Exception as exc:
        hint = "" if schema else "; give a 'schema' such as 'text string, label double' when a column is all null"
        raise DataError(f"cannot build a DataFrame from the rows: {readable_message(exc)}{hint}") from None
    return frame


def _mixes_int_and_float(values: Any) -> bool:
    kinds = {type(v) for v in values if v is not None and not isinstance(v, bool)}
    return kinds == {int, float}


def _cell(value: Any, column: str, row: int, as_float: bool, as_vector: bool) -> Any:
    if value is None:
        return None
    if as_vector:
        return _to_vector(value, column, row)
    if as_float:
        return float(value)
    return value


def _to_vector(value: Any, column: str, row: int) -> Any:
    from pyspark.ml.linalg import DenseVector, SparseVector

    try:
        if isinstance(value, list):
            return DenseVector([float(x) for x in value])
        if isinstance(value, Mapping) and set(value) == {"size", "indices", "values"}:
            return SparseVector(
                int(value["size"]), [int(i) for i in value["indices"]], [float(x) for x in value["values"]]
            )
    except (TypeError, ValueError) as exc:
        raise DataError(f"row {row} column '{column}': not a vector ({exc})") from None
    raise DataError(
        f"row {row} column '{column}': a vector is a list of numbers or {{'size', 'indices', 'values'}}, got {value!r}"
    )


def _read_file(spark: SparkSession, spec: DataSpec, roots: Sequence[str]) -> DataFrame:
    path = resolve_under_roots(spec.path or "", roots)
    reader = spark.read.format(spec.format or "parquet").options(**spec.options)
    if spec.schema is not None:
        reader = reader.schema(spec.schema)
    try:
        return reader.load(path)
    except Exception as exc:
        raise DataError(f"cannot read {spec.format} data at {spec.path}: {readable_message(exc)}") from None


def read_topic_snapshot(
    kafka: KafkaSettings, topic: str, max_records: int, timeout_s: float = 60.0
) -> list[dict[str, Any]]:
    """Every record of ``topic`` up to the end offsets seen now (at most ``max_records``), as JSON rows."""
    from spindrift.kafka.group import TopicNotFound
    from spindrift.kafka.reading import PartitionReader

    try:
        # A topic named in a spec exists already or is a mistake: a short wait for its metadata.
        reader = PartitionReader(kafka, [topic], timeout_s=min(timeout_s, 5.0))
    except TopicNotFound:
        raise DataError(f"topic {topic!r} does not exist (or has no partitions)") from None
    rows: list[dict[str, Any]] = []
    with reader:
        try:
            for record in reader.read_to_end(timeout_s):
                rows.append(_json_row(record.value, topic, record.partition, record.offset))
                if len(rows) >= max_records:
                    break
        except TimeoutError:
            raise DataError(
                f"reading topic {topic!r} took more than {timeout_s:.0f}s; is the broker reachable?"
            ) from None
    return rows


def _json_row(value: bytes | None, topic: str, partition: int, offset: int) -> dict[str, Any]:
    try:
        row = json.loads(value or b"")
    except ValueError:
        row = None
    if not isinstance(row, dict):
        raise DataError(
            f"topic {topic!r} partition {partition} offset {offset}: the value is not a JSON object (one row)"
        )
    return row
