"""Stream mode asks the runtime for each event's own columns plus the selected prediction columns."""

from __future__ import annotations

from services.scorer.stream import _stream_outputs
from spindrift.serving.projection import ALL

PRODUCED = {"words", "features", "rawPrediction", "probability", "prediction"}


def test_outputs_are_the_events_columns_then_the_selected_ones() -> None:
    rows = [{"id": 1, "text": "a"}, {"id": 2, "text": "b", "extra": True}]
    assert _stream_outputs(rows, ["probability", "prediction"], PRODUCED) == (
        "id",
        "text",
        "extra",
        "probability",
        "prediction",
    )


def test_an_event_column_named_like_an_output_is_not_echoed_and_unknown_selections_are_dropped() -> None:
    # _enrich replaces an event's "prediction" with the model's and skips a name nobody has.
    rows = [{"text": "a", "prediction": "stale"}]
    assert _stream_outputs(rows, ["prediction", "nowhere"], PRODUCED) == ("text", "prediction")


def test_every_column_when_nothing_is_selected_or_nothing_would_be_asked() -> None:
    assert _stream_outputs([{"text": "a"}], None, PRODUCED) == (ALL,)
    assert _stream_outputs([], ["nowhere"], PRODUCED) == (ALL,)
    assert _stream_outputs(["not an object"], [], PRODUCED) == (ALL,)
