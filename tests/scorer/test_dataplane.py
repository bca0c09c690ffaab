"""The data plane and model store without a broker: real Spark-saved models, real registry state."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.scorer.request_reply import reply_record
from spindrift.registry.state import RegistryState
from spindrift.serving.dataplane import DataPlane, ErrorCode, ScoreCall
from spindrift.serving.errors import ServingError
from spindrift.serving.model_store import ModelStore
from tests.runtime.parity import assert_close

from .conftest import PREDICTION_COLUMNS, TutorialModels, manifest, published_event

pytestmark = pytest.mark.spark


class Registry:
    """A RegistryState fed by hand, standing in for the follower's thread-safe copy."""

    def __init__(self) -> None:
        self.state = RegistryState()
        self.lock = threading.Lock()

    def view(self) -> RegistryState:
        with self.lock:
            return self.state.copy()

    def apply(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.state.apply(event)


def publish(registry: Registry, store: ModelStore, name: str, version: int, model_dir: Path, **kw: Any) -> None:
    meta = manifest(name, version, **kw)
    registry.apply(published_event(meta))
    store.add_version(registry.view().get(name, version), model_dir)
    assert store.wait_idle(30), "loading did not finish"


@pytest.fixture()
def setup(tutorial_models: TutorialModels) -> Any:
    registry = Registry()
    store = ModelStore(registry.view)
    plane = DataPlane(store, "unit-scorer")
    publish(registry, store, "tutorial", 1, tutorial_models.dirs[1])
    publish(registry, store, "tutorial", 2, tutorial_models.dirs[2])
    yield registry, store, plane
    store.close()


def rows(*texts: str, start: int = 0) -> list[dict[str, Any]]:
    return [{"id": start + i, "text": t} for i, t in enumerate(texts)]


FINAL_COLUMNS = ("rawPrediction", "probability", "prediction")  # what a reply row holds by default


def assert_matches_spark(
    models: TutorialModels,
    version: int,
    got: list[dict[str, Any]],
    sent: list[dict[str, Any]],
    columns: tuple[str, ...] = FINAL_COLUMNS,
) -> None:
    """Each row holds exactly ``columns``, with Spark's values."""
    expected = models.spark_outputs(version, sent)
    assert len(got) == len(expected)
    for i, (ours, theirs) in enumerate(zip(got, expected, strict=True)):
        assert list(ours) == list(columns), f"v{version} row {i} has columns {list(ours)}"
        for col in columns:
            assert_close(ours[col], theirs[col], f"v{version} row {i} {col}")


def score_calls(model: str, version: str) -> float:
    value = REGISTRY.get_sample_value("spindrift_scorer_score_seconds_count", {"model": model, "version": version})
    return value or 0.0


def test_batch_is_grouped_per_version_and_matches_spark(setup: Any, tutorial_models: TutorialModels) -> None:
    _registry, _store, plane = setup
    a, b, c, d = rows("spark i j k", "l m n"), rows("apache hadoop"), rows("spark hadoop spark", ""), rows("b d")
    before = score_calls("tutorial", "1"), score_calls("tutorial", "2")
    replies = plane.score(
        [
            ScoreCall("a", "tutorial", a, version="1"),
            ScoreCall("b", "tutorial", b, version="2"),
            ScoreCall("c", "tutorial", c, version="1"),
            ScoreCall("d", "tutorial", d),  # no version, no production alias: the latest servable one
        ]
    )
    assert [r.request_id for r in replies] == ["a", "b", "c", "d"]
    assert all(r.ok for r in replies), [r.error_message for r in replies]
    assert [r.version for r in replies] == [1, 2, 1, 2]
    assert {r.scorer for r in replies} == {"unit-scorer"}
    for reply, sent in zip(replies, (a, b, c, d), strict=True):
        assert reply.rows is not None
        assert_matches_spark(tutorial_models, reply.version or 0, reply.rows, sent)
    # One vectorised transform per version, however many requests share it.
    assert (score_calls("tutorial", "1") - before[0], score_calls("tutorial", "2") - before[1]) == (1.0, 1.0)


def test_bad_row_fails_only_its_own_request(setup: Any, tutorial_models: TutorialModels) -> None:
    _registry, _store, plane = setup
    good = rows("spark i j k", "l m n")
    bad = [{"id": 7, "text": "fine"}, {"id": 8, "txt": "typo in the column name"}]
    replies = plane.score(
        [
            ScoreCall("good", "tutorial", good, "1"),
            ScoreCall("bad", "tutorial", bad, "1"),
            ScoreCall("good2", "tutorial", good, "1"),
        ]
    )
    assert replies[1].error_code is ErrorCode.INVALID_INPUT
    message = replies[1].error_message or ""
    # The row is numbered within its own request, and the column and stage are named.
    assert "row 1" in message and "'text'" in message and "Tokenizer" in message, message
    for reply in (replies[0], replies[2]):
        assert reply.ok and reply.rows is not None
        assert_matches_spark(tutorial_models, 1, reply.rows, good)


@pytest.mark.parametrize(
    "model,version,code,needle",
    [
        ("no-such-model", None, ErrorCode.UNKNOWN_MODEL, "no-such-model"),
        ("tutorial", "99", ErrorCode.UNKNOWN_VERSION, "99"),
        ("tutorial", "staging", ErrorCode.UNKNOWN_VERSION, "staging"),
    ],
)
def test_unknown_model_or_version_gets_an_error_reply(
    setup: Any, model: str, version: str | None, code: ErrorCode, needle: str
) -> None:
    _registry, _store, plane = setup
    [reply] = plane.score([ScoreCall("x", model, rows("spark"), version)])
    assert reply.error_code is code
    assert needle in (reply.error_message or "")
    record = reply_record(reply)
    assert record["outcome"] == {"code": code.value, "message": reply.error_message}
    with pytest.raises(ServingError) as raised:
        reply.scored_rows()
    assert (raised.value.code, raised.value.http_status) == (code, 404)


@pytest.mark.parametrize("bad_rows,needle", [([], "empty"), ("text", "list of objects"), ([["spark"]], "row 0")])
def test_malformed_rows_are_invalid_input(setup: Any, bad_rows: Any, needle: str) -> None:
    _registry, _store, plane = setup
    [reply] = plane.score([ScoreCall("x", "tutorial", bad_rows, "1")])
    assert reply.error_code is ErrorCode.INVALID_INPUT
    assert needle in (reply.error_message or "")


def test_not_servable_and_failed_versions_answer_why(
    setup: Any, tutorial_models: TutorialModels, tmp_path: Path
) -> None:
    registry, store, plane = setup
    publish(registry, store, "tutorial", 3, tutorial_models.dirs[1], servable=False, reason="parity check failed")
    broken = tmp_path / "broken"
    shutil.copytree(tutorial_models.dirs[1], broken)
    shutil.rmtree(next((broken / "stages").glob("2_*")) / "data")  # the LR coefficients are gone
    publish(registry, store, "tutorial", 4, broken)
    store.refresh()
    r3, r4, latest = plane.score(
        [
            ScoreCall("3", "tutorial", rows("spark"), "3"),
            ScoreCall("4", "tutorial", rows("spark"), "4"),
            ScoreCall("latest", "tutorial", rows("spark")),
        ]
    )
    assert r3.error_code is ErrorCode.MODEL_NOT_SERVABLE and "parity check failed" in (r3.error_message or "")
    assert r4.error_code is ErrorCode.MODEL_NOT_SERVABLE and "failed to load" in (r4.error_message or "")
    assert r4.version == 4
    # The newest version is broken, so "latest" resolves to v4 and says so; the worker did not crash.
    assert latest.error_code is ErrorCode.MODEL_NOT_SERVABLE
    assert {v["state"] for v in store.snapshot().versions()} == {"loaded", "failed"}


def test_sample_rows_that_fail_mark_the_version_failed(setup: Any, tutorial_models: TutorialModels) -> None:
    registry, store, plane = setup
    publish(registry, store, "other", 1, tutorial_models.dirs[1], sample_rows=[{"id": 1, "wrong": "column"}])
    store.refresh()
    [reply] = plane.score([ScoreCall("x", "other", rows("spark"))])
    assert reply.error_code is ErrorCode.MODEL_NOT_SERVABLE
    assert "missing input column" in (reply.error_message or "")


def test_new_version_takes_over_only_once_loaded(setup: Any, tutorial_models: TutorialModels) -> None:
    registry, store, plane = setup
    in_flight = store.snapshot()
    # v3 is published (the follower saw the event) but its artifact is not loaded yet.
    registry.apply(published_event(manifest("tutorial", 3)))
    store.refresh()
    [before] = plane.score([ScoreCall("x", "tutorial", rows("spark"))])
    assert before.ok and before.version == 2, "requests keep the old version while the new one loads"
    store.add_version(registry.view().get("tutorial", 3), tutorial_models.dirs[1])
    assert store.wait_idle(30)
    [after] = plane.score([ScoreCall("y", "tutorial", rows("spark"))])
    assert after.ok and after.version == 3
    # A batch that started earlier still holds the snapshot it started with.
    assert in_flight.resolve("tutorial", None).version == 2


def test_production_alias_and_retirement_change_the_default(setup: Any) -> None:
    registry, store, plane = setup
    registry.apply(
        {
            "model": "tutorial",
            "version": 1,
            "type": "PROMOTED",
            "alias": "production",
            "manifest_json": None,
            "at_ms": 0,
        }
    )
    store.refresh()
    assert plane.score([ScoreCall("x", "tutorial", rows("spark"))])[0].version == 1
    registry.apply(
        {"model": "tutorial", "version": 1, "type": "RETIRED", "alias": None, "manifest_json": None, "at_ms": 0}
    )
    store.refresh()
    default, explicit = plane.score(
        [ScoreCall("x", "tutorial", rows("spark")), ScoreCall("y", "tutorial", rows("spark"), "1")]
    )
    assert default.version == 2
    assert explicit.error_code is ErrorCode.UNKNOWN_VERSION and "retired" in (explicit.error_message or "")
    assert ("tutorial", 1) not in store.snapshot().loaded


def test_request_for_a_version_still_loading_waits_for_it(setup: Any, tutorial_models: TutorialModels) -> None:
    registry, store, plane = setup
    # "fresh" v1 is published (the follower saw the event) but its artifact arrives only later.
    registry.apply(published_event(manifest("fresh", 1)))
    store.refresh()
    arrives = threading.Timer(0.3, lambda: store.add_version(registry.view().get("fresh", 1), tutorial_models.dirs[1]))
    arrives.start()
    try:
        [reply] = plane.score([ScoreCall("x", "fresh", rows("spark i j k"))])
    finally:
        arrives.join()
    assert reply.ok, f"a just-published model must not be answered as unknown: {reply.error_message}"
    assert reply.version == 1
    assert_matches_spark(tutorial_models, 1, reply.rows, rows("spark i j k"))


def test_version_that_never_loads_gets_an_error_after_the_wait(setup: Any) -> None:
    registry, store, _plane = setup
    plane = DataPlane(store, "unit-scorer", loading_wait_s=0.2)
    registry.apply(published_event(manifest("stuck", 1)))
    store.refresh()
    [reply] = plane.score([ScoreCall("x", "stuck", rows("spark"))])
    assert reply.error_code is ErrorCode.UNKNOWN_MODEL


def test_default_outputs_are_the_final_stage_outputs_and_star_is_every_column(
    setup: Any, tutorial_models: TutorialModels
) -> None:
    _registry, _store, plane = setup
    sent = rows("spark i j k", "l m n")
    default, star = plane.score(
        [ScoreCall("d", "tutorial", sent, "1"), ScoreCall("s", "tutorial", sent, "1", outputs=["*"])]
    )
    assert default.rows is not None and star.rows is not None
    assert_matches_spark(tutorial_models, 1, default.rows, sent, FINAL_COLUMNS)
    assert_matches_spark(tutorial_models, 1, star.rows, sent, ("id", "text", *PREDICTION_COLUMNS))


def test_outputs_list_keeps_exactly_those_columns_including_extra_inputs(setup: Any) -> None:
    _registry, _store, plane = setup
    [reply] = plane.score([ScoreCall("x", "tutorial", rows("spark", "b d"), "1", outputs=["id", "prediction", "id"])])
    assert reply.ok and reply.rows is not None
    assert [list(r) for r in reply.rows] == [["id", "prediction"]] * 2
    assert [r["id"] for r in reply.rows] == [0, 1]


def test_unknown_output_column_fails_only_its_request_naming_the_available_ones(setup: Any) -> None:
    _registry, _store, plane = setup
    before = score_calls("tutorial", "2")
    bad, good = plane.score(
        [
            ScoreCall("bad", "tutorial", rows("spark"), "2", outputs=["nope"]),
            ScoreCall("good", "tutorial", rows("b"), "2"),
        ]
    )
    assert bad.error_code is ErrorCode.INVALID_INPUT and bad.version == 2
    assert bad.error_message is not None
    assert "'nope'" in bad.error_message
    assert "available: text, id, words, features, rawPrediction, probability, prediction" in bad.error_message
    assert good.ok
    assert score_calls("tutorial", "2") == before + 1, "the good request was still scored in one call"


@pytest.mark.parametrize(("outputs", "needle"), [("prediction", "list of column names"), ([], "empty"), ([3], "3")])
def test_malformed_outputs_are_invalid_input(setup: Any, outputs: Any, needle: str) -> None:
    _registry, _store, plane = setup
    [reply] = plane.score([ScoreCall("x", "tutorial", rows("spark"), "1", outputs=outputs)])
    assert reply.error_code is ErrorCode.INVALID_INPUT and reply.error_message is not None
    assert needle in reply.error_message, reply.error_message


def test_requests_asking_different_columns_share_one_call_and_each_gets_its_own(
    setup: Any, tutorial_models: TutorialModels
) -> None:
    _registry, _store, plane = setup
    # 12 rows in all: the batch takes the runtime's columnar path, asked for the union of columns.
    a, b, c = rows(*["spark i j k"] * 4), rows(*["b d"] * 4, start=4), rows(*["hadoop spark"] * 4, start=8)
    before = score_calls("tutorial", "1")
    default, narrow, wide = plane.score(
        [
            ScoreCall("default", "tutorial", a, "1"),
            ScoreCall("narrow", "tutorial", b, "1", outputs=["prediction"]),
            ScoreCall("wide", "tutorial", c, "1", outputs=["id", "words", "prediction"]),
        ]
    )
    assert score_calls("tutorial", "1") == before + 1, "one vectorised call for the three requests"
    for reply, sent, columns in (
        (default, a, FINAL_COLUMNS),
        (narrow, b, ("prediction",)),
        (wide, c, ("id", "words", "prediction")),
    ):
        assert reply.ok and reply.rows is not None, reply.error_message
        assert_matches_spark(tutorial_models, 1, reply.rows, sent, columns)


def expired_count() -> float:
    return REGISTRY.get_sample_value("spindrift_scorer_expired_requests_total") or 0.0


def test_a_call_past_its_deadline_is_answered_timeout_without_scoring(
    setup: Any, tutorial_models: TutorialModels
) -> None:
    _registry, store, _plane = setup
    now_ms = 1_700_000_000_000
    plane = DataPlane(store, "unit-scorer", wall_clock=lambda: now_ms / 1000.0)
    sent = rows("spark i j k")
    before = expired_count(), score_calls("tutorial", "1")
    replies = plane.score(
        [
            ScoreCall("late", "tutorial", sent, "1", deadline_ms=now_ms - 250),
            ScoreCall("on-time", "tutorial", sent, "1", deadline_ms=now_ms),  # exactly at the deadline: still wanted
            ScoreCall("no-deadline", "tutorial", sent, "1"),
        ]
    )
    late = replies[0]
    assert late.error_code is ErrorCode.TIMEOUT and late.rows is None and late.version is None
    assert "deadline passed 250 ms before a scorer picked it up" in (late.error_message or ""), late.error_message
    for reply in replies[1:]:
        assert reply.ok and reply.rows is not None
        assert_matches_spark(tutorial_models, 1, reply.rows, sent)
    assert expired_count() - before[0] == 1.0
    assert score_calls("tutorial", "1") - before[1] == 1.0  # one transform, for the two calls still wanted


def test_a_batch_of_only_expired_calls_scores_nothing(setup: Any) -> None:
    _registry, store, _plane = setup
    plane = DataPlane(store, "unit-scorer", wall_clock=lambda: 2_000.0)
    before = score_calls("tutorial", "2")
    replies = plane.score([ScoreCall(f"r{i}", "tutorial", rows("b d"), "2", deadline_ms=1_999_000) for i in range(3)])
    assert [r.error_code for r in replies] == [ErrorCode.TIMEOUT] * 3
    assert score_calls("tutorial", "2") == before
