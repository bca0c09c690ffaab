"""The micro-batch of the batch tests: several requests mixing good, skipped and bad rows (52 rows in all).

Shared by the data-plane test (no broker) and the end-to-end test through Kafka.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from spindrift.serving.dataplane import ScoreCall
from tests.runtime.parity import assert_close

from .conftest import SkippingModel

MODEL = "skipping"
SHOWN = ["id", "prediction", "probability"]
TEXTS = ["spark i j k", "b d", "hadoop mapreduce", "spark spark hadoop", "", "f g h spark"]
COLORS = ["red", "blue", "green"]


def good_rows(n: int, start: int) -> list[dict[str, Any]]:
    """``n`` rows every stage accepts, with ids from ``start``."""
    return [
        {"id": i, "text": TEXTS[i % len(TEXTS)], "color": COLORS[i % len(COLORS)], "x": (i % 7) * 0.5}
        for i in range(start, start + n)
    ]


def changed(rows: list[dict[str, Any]], at: int, **values: Any) -> list[dict[str, Any]]:
    """A copy of ``rows`` with row ``at`` updated by ``values`` (a value of ``...`` removes the key)."""
    out = [dict(r) for r in rows]
    for key, value in values.items():
        if value is ...:
            del out[at][key]
        else:
            out[at][key] = value
    return out


def mixed_batch(with_bad_row: bool) -> list[ScoreCall]:
    """Eight requests, 52 rows in all: good rows, skipped rows, a row missing a column others carry,
    requests asking for different columns, and (``with_bad_row``) a row that fails the Tokenizer."""
    skips = changed(changed(good_rows(8, 100), 2, color="purple"), 5, x=None)
    calls = [
        ScoreCall("good-a", MODEL, good_rows(10, 0), outputs=SHOWN),
        ScoreCall("skips", MODEL, skips, outputs=SHOWN),
        ScoreCall("all-skipped", MODEL, [dict(r, color="mauve") for r in good_rows(3, 200)], outputs=SHOWN),
        # Alone, a row without 'x' is "missing input column"; its batch-mates carry 'x' and must not
        # turn it into a null that the skip stage would silently drop.
        ScoreCall("missing-x", MODEL, changed(good_rows(4, 300), 1, x=...), outputs=SHOWN),
        # Every column: must be Spark's columns, not the batch-mates' extra keys.
        ScoreCall("star", MODEL, good_rows(5, 400), outputs=["*"]),
        ScoreCall("extra-key", MODEL, [dict(r, note=f"n{r['id']}") for r in good_rows(4, 500)], outputs=["id", "note"]),
        ScoreCall("default", MODEL, good_rows(6, 600)),
        ScoreCall("good-b", MODEL, good_rows(12, 700), outputs=SHOWN),
    ]
    if with_bad_row:
        calls.insert(3, ScoreCall("bad-text", MODEL, changed(good_rows(6, 800), 3, text=12.5), outputs=SHOWN))
    else:
        calls.insert(3, ScoreCall("more-good", MODEL, good_rows(6, 800), outputs=SHOWN))
    return calls


def skipped_by_spark(row: Mapping[str, Any]) -> bool:
    """Rows Spark's skip stages drop: an unseen colour or a null x."""
    return row["color"] not in COLORS or row["x"] is None or (isinstance(row["x"], float) and math.isnan(row["x"]))


def assert_spark_rows(
    model: SkippingModel, request_id: str, rows: list[dict[str, Any]], sent: Sequence[Mapping[str, Any]]
) -> None:
    """The request's rows are Spark's rows for what it sent, in order, with exactly the columns it asked for."""
    expected = model.spark_outputs(sent)
    assert len(rows) == len(expected) == sum(not skipped_by_spark(r) for r in sent), request_id
    call_outputs = {"default": ["rawPrediction", "probability", "prediction"], "extra-key": ["id", "note"]}
    for i, (ours, theirs) in enumerate(zip(rows, expected, strict=True)):
        where = f"{request_id} row {i}"
        columns = list(theirs) if request_id == "star" else call_outputs.get(request_id, SHOWN)
        assert list(ours) == columns, f"{where} has columns {list(ours)}, expected {columns}"
        for col in columns:
            if col == "note":
                assert ours[col] == f"n{theirs['id']}", where
            else:
                assert_close(ours[col], theirs[col], f"{where} {col}")


def assert_expected_outcome(
    model: SkippingModel, call: ScoreCall, rows: list[dict[str, Any]] | None, code: str | None, message: str | None
) -> None:
    """What ``call`` of :func:`mixed_batch` must get: an INVALID_INPUT naming its bad row, or Spark's rows."""
    where = f"{call.request_id}: {code} {message}"
    if call.request_id == "bad-text":
        assert code == "INVALID_INPUT", where
        assert "row 3" in (message or "") and "'text'" in (message or "") and "Tokenizer" in (message or ""), where
    elif call.request_id == "missing-x":
        assert code == "INVALID_INPUT", where
        assert "missing input column" in (message or "") and "row 1" in (message or "") and "'x'" in (message or ""), (
            where
        )
    elif call.request_id == "all-skipped":
        assert code is None and rows == [], f"every row skipped: a reply with no rows, not silence ({where})"
    else:
        assert code is None and rows is not None, where
        assert_spark_rows(model, call.request_id, rows, call.rows)
