"""The wire format of every Spindrift message: Avro single-object encoding, or JSON when a header says so.

Binary messages are ``C3 01`` + the 8-byte little-endian CRC-64-AVRO fingerprint of the
writer's schema (Parsing Canonical Form) + the Avro body, as the Avro specification defines
single-object encoding. A reader finds the writer's schema by fingerprint among the current
schemas and every frozen version in ``schemas/history``, and resolves it to its own current
schema, so no schema registry is needed.

A message whose ``content-type`` header is ``application/json``, or whose body starts with
``{`` (Spring's ``JsonSerializer`` sends no header), is plain JSON (handy with kcat);
``decode`` then needs ``expected`` to know its schema, checks it against that schema and
fills defaults, returning exactly what the binary path would. JSON written here is strict:
NaN and ±Infinity, which JSON cannot carry, are written as the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``.

Python-facing form of row values (``ScoreRequest.rows``, ``ScoreReply.outcome.rows``): None,
bool, int, float, str, list[float] (dense vector), list[str] (tokens) and
``{"size", "indices", "values"}`` dicts (sparse vectors). On the wire a list of strings is an
``io.spindrift.StringArray`` record, because an Avro union may hold only one array type.
``encode`` also accepts numpy scalars and arrays and objects with ``to_json()`` (sparse vectors
of sparkml_runtime). A ``ScoreReply`` outcome is ``{"rows": [...]}`` or ``{"code", "message"}``.

Anything undecodable raises ``WireError`` (a ``ValueError``), whose message says what is wrong;
services send such records to the DLQ. Decoding is bounded: a message larger than
``MAX_MESSAGE_BYTES`` or JSON nested deeper than the interpreter's recursion limit is refused
with a ``WireError`` naming the limit, never a ``RecursionError`` or ``MemoryError``. (The
schemas themselves are not recursive, so Avro bodies cannot nest deeply; a length or count
prefix larger than the bytes left fails as a truncated body.)
"""

from __future__ import annotations

import io
import json
import math
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import fastavro
from fastavro.schema import fingerprint as avro_fingerprint
from fastavro.schema import parse_schema, to_parsing_canonical_form
from fastavro.validation import ValidationError, validate

import schemas

__all__ = [
    "MAGIC",
    "MAX_MESSAGE_BYTES",
    "Catalog",
    "WireError",
    "decode",
    "default_catalog",
    "dumps_json",
    "encode",
    "encode_json",
    "fingerprint",
    "loads_json",
]

MAGIC = b"\xc3\x01"
_HEADER_LEN = len(MAGIC) + 8
_STRING_ARRAY = "io.spindrift.StringArray"
_SPARSE_VECTOR = "io.spindrift.SparseVector"
_SCORE_RESULT = "io.spindrift.ScoreResult"
_SCORE_ERROR = "io.spindrift.ScoreError"

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""Largest message ``decode`` reads (well above Kafka's default 1 MB limit, so only hostile input hits it)."""

Headers = Sequence[tuple[str, bytes | None]]


class WireError(ValueError):
    """Bytes that are not a valid Spindrift message, or a record that does not fit its schema."""


def loads_json(payload: bytes, what: str = "JSON") -> Any:
    """Parse UTF-8 JSON; any failure, including nesting too deep for the parser, is a ``WireError``."""
    try:
        return json.loads(payload.decode("utf-8"))
    except RecursionError:
        # json's C scanner recurses once per level: 100,000 '[' would otherwise kill the process.
        raise WireError(
            f"invalid {what}: nested deeper than the parser's limit of about {sys.getrecursionlimit()} levels "
            "(a Spindrift message needs fewer than 10)"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError(f"invalid {what}: {exc}") from exc


def dumps_json(value: Any) -> bytes:
    """Strict UTF-8 JSON: NaN and ±Infinity (which JSON lacks) become the strings "NaN", "Infinity", "-Infinity".

    Python's json writes them as bare tokens that strict parsers (browsers, Jackson by default) reject.
    """
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except ValueError:  # rare: only a value holding a non-finite float pays for the rewrite
        return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_NON_FINITE_STRINGS: dict[Any, float] = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _is_number(item: Any) -> bool:
    return isinstance(item, (int, float)) and not isinstance(item, bool)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# -- row values: Python-facing form <-> Avro form -------------------------------------------------


def _value_to_avro(value: Any, column: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "to_json") and callable(value.to_json):
        value = value.to_json()
    elif hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars
        value = value.tolist()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
    if isinstance(value, Mapping):
        if {"size", "indices", "values"} <= set(value):
            return (_SPARSE_VECTOR, {"size": value["size"], "indices": value["indices"], "values": value["values"]})
        raise WireError(
            f"column {column!r}: a dict value must be a sparse vector {{size, indices, values}}, got keys {sorted(value)}"
        )
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(item, str) for item in value):
            return (_STRING_ARRAY, {"items": list(value)})
        if all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
            return [float(item) for item in value]
        if all(_is_number(item) or (isinstance(item, str) and item in _NON_FINITE_STRINGS) for item in value):
            # A vector as strict JSON carries NaN/±Infinity as strings (see dumps_json).
            return [_NON_FINITE_STRINGS[item] if isinstance(item, str) else float(item) for item in value]
        raise WireError(f"column {column!r}: a list must hold only numbers or only strings")
    raise WireError(f"column {column!r}: unsupported value type {type(value).__name__}")


def _rows_to_avro(rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, (list, tuple)):
        raise WireError(f"rows must be a list of objects, got {type(rows).__name__}")
    converted = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise WireError(f"row {index} must be an object (column → value), got {type(row).__name__}")
        converted.append({str(k): _value_to_avro(v, str(k)) for k, v in row.items()})
    return converted


def _value_from_avro(value: Any) -> Any:
    if isinstance(value, tuple):  # (record name, record) as read with return_record_name
        name, record = value
        return list(record["items"]) if name == _STRING_ARRAY else record
    return value


def _rows_from_avro(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _value_from_avro(v) for k, v in row.items()} for row in rows]


def _to_avro(name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a Python-facing record into what fastavro writes (explicit union branches)."""
    out = dict(record)
    if name == "ScoreRequest" and "rows" in out:
        out["rows"] = _rows_to_avro(out["rows"])
    elif name == "ScoreReply" and "outcome" in out:
        outcome = out["outcome"]
        if isinstance(outcome, tuple):
            outcome = outcome[1]
        if not isinstance(outcome, Mapping):
            raise WireError("ScoreReply.outcome must be {rows: [...]} or {code, message}")
        if "rows" in outcome:
            out["outcome"] = (_SCORE_RESULT, {"rows": _rows_to_avro(outcome["rows"])})
        elif "code" in outcome:
            out["outcome"] = (_SCORE_ERROR, {"code": outcome["code"], "message": outcome.get("message")})
        else:
            raise WireError("ScoreReply.outcome must have 'rows' (a result) or 'code' and 'message' (an error)")
    return out


def _from_avro(name: str, record: dict[str, Any]) -> dict[str, Any]:
    """Turn what fastavro read (with record names on unions) into the Python-facing form."""
    if name == "ScoreRequest":
        record["rows"] = _rows_from_avro(record["rows"])
    elif name == "ScoreReply":
        _branch, outcome = record["outcome"]
        if "rows" in outcome:
            outcome = {"rows": _rows_from_avro(outcome["rows"])}
        record["outcome"] = outcome
    return record


# -- schemas by name and by fingerprint -----------------------------------------------------------


def _fingerprint_bytes(parsed: Any) -> bytes:
    # fastavro's hex digest is already the little-endian byte order the header uses.
    return bytes.fromhex(avro_fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))


class Catalog:
    """Reader schemas by name, and every known writer schema by fingerprint.

    ``readers`` maps a short name to a self-contained schema (what this code writes and reads
    into); ``writers`` adds older (or newer) versions this code can read from.
    """

    def __init__(
        self,
        readers: Mapping[str, Mapping[str, Any]],
        writers: Iterable[tuple[str, Mapping[str, Any]]] = (),
    ) -> None:
        self._readers: dict[str, Any] = {}
        self._fingerprints: dict[str, bytes] = {}
        self._writers: dict[bytes, tuple[str, Any]] = {}
        for name, schema in readers.items():
            parsed = parse_schema(dict(schema), named_schemas={})
            self._readers[name] = parsed
            self._fingerprints[name] = _fingerprint_bytes(parsed)
            self._writers[self._fingerprints[name]] = (name, parsed)
        for name, schema in writers:
            parsed = parse_schema(dict(schema), named_schemas={})
            self._writers.setdefault(_fingerprint_bytes(parsed), (name, parsed))

    def names(self) -> list[str]:
        """Short names of the messages this catalog writes."""
        return sorted(self._readers)

    def fingerprint(self, name: str) -> bytes:
        """The 8-byte fingerprint (little-endian CRC-64-AVRO) written for ``name``."""
        return self._fingerprints[self._name(name)]

    def _name(self, name: str) -> str:
        short = schemas.short_name(name)
        if short not in self._readers:
            raise WireError(f"unknown schema {name!r}; known: {', '.join(self.names())}")
        return short

    def _avro_body(self, name: str, record: Mapping[str, Any]) -> bytes:
        if not isinstance(record, Mapping):
            raise WireError(f"a {name} must be a mapping of field → value, got {type(record).__name__}")
        buffer = io.BytesIO()
        datum = _to_avro(name, record)
        try:
            fastavro.schemaless_writer(buffer, self._readers[name], datum)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error) as exc:
            raise WireError(f"record does not fit schema {name}: {self._explain(name, datum) or exc}") from exc
        return buffer.getvalue()

    def _explain(self, name: str, datum: Any) -> str:
        """fastavro's validator names the offending field, which the writer's own error does not."""
        try:
            validate(datum, self._readers[name], raise_errors=True)
        except ValidationError as exc:
            return "; ".join(str(error)[:300] for error in exc.errors)
        except Exception:
            return ""
        return ""

    def encode(self, name: str, record: Mapping[str, Any]) -> bytes:
        """Single-object encode ``record`` with the current schema called ``name``."""
        short = self._name(name)
        return MAGIC + self._fingerprints[short] + self._avro_body(short, record)

    def encode_json(self, name: str, record: Mapping[str, Any]) -> bytes:
        """``record`` as UTF-8 JSON (checked against the schema first); for ``content-type: application/json``."""
        short = self._name(name)
        normalised = self._read_body(short, self._readers[short], self._avro_body(short, record))
        try:
            return dumps_json(normalised)
        except TypeError as exc:  # bytes fields have no plain-JSON form
            raise WireError(f"{short} cannot be sent as JSON ({exc}); use encode()") from exc

    def decode(
        self,
        data: bytes | bytearray | memoryview | None,
        headers: Headers | None = None,
        expected: str | Iterable[str] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """``(short schema name, record)`` from message bytes; raises ``WireError`` when undecodable."""
        wanted = [expected] if isinstance(expected, str) else list(expected or [])
        wanted = [self._name(n) for n in wanted]
        if data is None:
            raise WireError("empty message (null value); expected an Avro single-object or JSON payload")
        if len(data) > MAX_MESSAGE_BYTES:
            raise WireError(
                f"message of {len(data)} bytes is larger than the {MAX_MESSAGE_BYTES}-byte limit "
                "(spindrift.wire.MAX_MESSAGE_BYTES); send fewer rows per message"
            )
        payload = bytes(data)
        # Spring's JsonSerializer sends no content-type header; an Avro message never starts with '{'.
        if _is_json(headers) or (wanted and payload[:1] == b"{"):
            return self._decode_json(payload, wanted)
        if len(payload) < _HEADER_LEN or payload[:2] != MAGIC:
            hint = ""
            if payload[:1] in (b"{", b"["):
                hint = "; it looks like JSON: send it with header content-type: application/json"
            raise WireError(
                f"not an Avro single-object message: it must start with C3 01 and an 8-byte schema "
                f"fingerprint (got {payload[:10].hex(' ') or 'no bytes'}){hint}"
            )
        fp = payload[2:_HEADER_LEN]
        known = self._writers.get(fp)
        if known is None:
            raise WireError(
                f"unknown schema fingerprint {fp.hex()}: the writer used a schema this reader does not know "
                "(upgrade this reader, or the writer sent a foreign message)"
            )
        name, writer = known
        if wanted and name not in wanted:
            raise WireError(f"expected {' or '.join(wanted)}, got a {name}")
        return name, self._read_body(name, writer, payload[_HEADER_LEN:])

    def _read_body(self, name: str, writer: Any, body: bytes) -> dict[str, Any]:
        buffer = io.BytesIO(body)
        reader = self._readers[name]
        try:
            record = fastavro.schemaless_reader(
                buffer,
                writer,
                None if writer is reader else reader,
                return_record_name=True,
            )
        except Exception as exc:  # fastavro raises many types (EOFError, IndexError, UnicodeDecodeError...)
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else "truncated (ran out of bytes)"
            raise WireError(f"corrupt {name} body: {detail}") from exc
        if buffer.tell() != len(body):
            raise WireError(f"corrupt {name} body: {len(body) - buffer.tell()} unread trailing bytes")
        if not isinstance(record, dict):
            raise WireError(f"corrupt {name} body: not a record")
        return _from_avro(name, record)

    def _decode_json(self, payload: bytes, wanted: list[str]) -> tuple[str, dict[str, Any]]:
        if not wanted:
            raise WireError("a JSON message needs an expected schema name to be decoded")
        record = loads_json(payload)
        if not isinstance(record, dict):
            raise WireError(f"a JSON message must be an object, got {type(record).__name__}")
        errors = []
        for name in wanted:
            try:
                return name, self._read_body(name, self._readers[name], self._avro_body(name, record))
            except WireError as exc:
                errors.append(str(exc))
        raise WireError("; ".join(errors))


def _is_json(headers: Headers | None) -> bool:
    for key, value in headers or ():
        if key.lower() == "content-type" and value is not None:
            media = value.decode("latin-1").split(";", 1)[0].strip().lower()
            if media == "application/json" or media.endswith("+json"):
                return True
    return False


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    """The catalog of the schemas shipped in ``schemas/`` (current ones plus ``schemas/history``)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalog(
            {name: schemas.expanded(name) for name in schemas.MESSAGE_NAMES},
            [(name, schema) for name, _version, schema in schemas.history()],
        )
    return _DEFAULT


def encode(schema_name: str, record: Mapping[str, Any]) -> bytes:
    """Avro single-object encoding of ``record`` with the current schema ``schema_name`` (e.g. "ScoreRequest")."""
    return default_catalog().encode(schema_name, record)


def encode_json(schema_name: str, record: Mapping[str, Any]) -> bytes:
    """``record`` as JSON bytes, after checking it against ``schema_name``."""
    return default_catalog().encode_json(schema_name, record)


def decode(
    data: bytes | bytearray | memoryview | None,
    headers: Headers | None = None,
    expected: str | Iterable[str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """``(schema_name, record)`` from a message value; JSON when its content-type header says so.

    ``expected`` (a name or names) rejects other message types and is required for JSON.
    Raises ``WireError`` for anything undecodable.
    """
    return default_catalog().decode(data, headers, expected)


def fingerprint(schema_name: str) -> bytes:
    """The 8-byte fingerprint written in the header of ``schema_name`` messages."""
    return default_catalog().fingerprint(schema_name)
