"""Micro-batches far above the runtime's one-row threshold, through the data plane without a broker.

Up to 8 rows the runtime scores row by row; the batches here hold 50-odd rows from several
requests, so they take the columnar ``transform_rows(errors="return")`` path, and, when one row
is bad, its row-by-row retry. The model has two ``handleInvalid="skip"`` stages. Each request
must get exactly its own rows, in order, with Spark's values (skipped rows left out, as Spark's
transform leaves them out), and exactly the outcome it gets when scored alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from services.scorer.dataplane import DataPlane, ErrorCode, ScoreCall, ScoreOutcome
from services.scorer.model_store import ModelStore
from tests.runtime.parity import assert_close

from .conftest import SkippingModel
from .test_dataplane import Registry, publish

pytestmark = pytest.mark.spark

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


def batch(with_bad_row: bool) -> list[ScoreCall]:
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


@pytest.fixture()
def plane(skipping_model: SkippingModel) -> Iterator[DataPlane]:
    registry = Registry()
    store = ModelStore(registry.view)
    sample = good_rows(2, 0)
    publish(registry, store, MODEL, 1, skipping_model.path, sample_rows=sample)
    yield DataPlane(store, "batch-scorer")
    store.close()


def assert_spark_rows(model: SkippingModel, outcome: ScoreOutcome, sent: Sequence[Mapping[str, Any]]) -> None:
    """The request's rows are Spark's rows for what it sent, in order, with exactly the columns it asked for."""
    assert outcome.ok and outcome.rows is not None, (outcome.request_id, outcome.error_message)
    expected = model.spark_outputs(sent)
    assert len(outcome.rows) == len(expected) == sum(not skipped_by_spark(r) for r in sent), outcome.request_id
    call_outputs = {"default": ["rawPrediction", "probability", "prediction"], "extra-key": ["id", "note"]}
    for i, (ours, theirs) in enumerate(zip(outcome.rows, expected, strict=True)):
        where = f"{outcome.request_id} row {i}"
        columns = list(theirs) if outcome.request_id == "star" else call_outputs.get(outcome.request_id, SHOWN)
        assert list(ours) == columns, f"{where} has columns {list(ours)}, expected {columns}"
        for col in columns:
            if col == "note":
                assert ours[col] == f"n{theirs['id']}", where
            else:
                assert_close(ours[col], theirs[col], f"{where} {col}")


@pytest.mark.parametrize("with_bad_row", [False, True], ids=["columnar", "row-by-row-retry"])
def test_each_request_of_a_large_batch_gets_its_own_rows_as_spark_scores_them(
    plane: DataPlane, skipping_model: SkippingModel, with_bad_row: bool
) -> None:
    calls = batch(with_bad_row)
    assert sum(len(c.rows) for c in calls) > 50, "far above the 8-row threshold of the one-row path"
    outcomes = plane.score(calls)
    assert [o.request_id for o in outcomes] == [c.request_id for c in calls]
    by_id = {o.request_id: o for o in outcomes}
    for call in calls:
        outcome = by_id[call.request_id]
        if call.request_id == "bad-text":
            assert outcome.error_code is ErrorCode.INVALID_INPUT
            message = outcome.error_message or ""
            assert "row 3" in message and "'text'" in message and "Tokenizer" in message, message
        elif call.request_id == "missing-x":
            assert outcome.error_code is ErrorCode.INVALID_INPUT
            message = outcome.error_message or ""
            assert "missing input column" in message and "row 1" in message and "'x'" in message, message
        elif call.request_id == "all-skipped":
            assert outcome.ok and outcome.rows == [], "every row skipped: a reply with no rows, not silence"
        else:
            assert_spark_rows(skipping_model, outcome, call.rows)


@pytest.mark.parametrize("with_bad_row", [False, True], ids=["columnar", "row-by-row-retry"])
def test_a_request_gets_the_same_outcome_in_a_large_batch_as_alone(plane: DataPlane, with_bad_row: bool) -> None:
    calls = batch(with_bad_row)
    together = plane.score(calls)
    for call, mine in zip(calls, together, strict=True):
        (alone,) = plane.score([call])  # most requests hold ≤ 8 rows: alone they take the one-row path
        assert (mine.error_code, mine.error_message) == (alone.error_code, alone.error_message), call.request_id
        # The columnar and one-row paths may sum in a different order: equal within the parity tolerance.
        assert_close(mine.rows, alone.rows, call.request_id)
