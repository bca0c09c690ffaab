"""Gateway pieces that need no broker: the job fold, API key parsing, the start-up guard."""

from __future__ import annotations

import pytest

from services.gateway.job_board import JobBoard
from services.gateway.settings import GatewaySettings, parse_api_keys
from spindrift.jobs import JobEvent


def event(job_id: str, seq: int, kind: str, details: dict[str, object] | None = None, at: int = 0) -> JobEvent:
    return JobEvent(job_id=job_id, seq=seq, type=kind, at_ms=at or 1000 + seq, message=f"{kind} {seq}", details=details)


def test_a_jobs_events_fold_into_its_state_and_duplicates_are_ignored() -> None:
    board = JobBoard()
    seen: list[int] = []
    board.apply(event("j1", 0, "QUEUED", {"kind": "TRAIN", "model": "m"}))
    _token, known = board.subscribe("j1", lambda e: seen.append(e.seq))
    board.apply(event("j1", 1, "STARTED"))
    board.apply(event("j1", 1, "STARTED"))  # re-delivered
    board.apply(event("j1", 2, "EVALUATED", {"areaUnderROC": 0.9}))
    board.apply(event("j1", 3, "PUBLISHED", {"model": "m", "version": 2, "servable": True}))
    view = board.get("j1")
    assert view is not None
    assert (view.state, view.kind, view.model, view.version, view.servable) == ("succeeded", "train", "m", 2, True)
    assert view.metrics == {"areaUnderROC": 0.9}
    assert [e.seq for e in known] == [0] and seen == [1, 2, 3]


def test_a_failed_job_keeps_its_error_and_lists_filter_by_state_and_model() -> None:
    board = JobBoard()
    board.apply(event("a", 0, "QUEUED", {"kind": "TRAIN", "model": "m"}, at=1))
    board.apply(event("a", 1, "FAILED", at=2))
    board.apply(event("b", 0, "QUEUED", {"kind": "TRAIN", "model": "other"}, at=3))
    failed = board.get("a")
    assert failed is not None and failed.state == "failed" and failed.error == "FAILED 1"
    assert [v.job_id for v in board.list()] == ["b", "a"]
    assert [v.job_id for v in board.list(state="failed")] == ["a"]
    assert [v.job_id for v in board.list(model="other")] == ["b"]


def test_api_keys_parse_from_the_short_form_and_from_json() -> None:
    assert parse_api_keys("k1=train,admin;k2=score") == {"k1": {"train", "admin"}, "k2": {"score"}}
    assert parse_api_keys('{"k1": ["score"], "k2": "admin"}') == {"k1": {"score"}, "k2": {"admin"}}
    with pytest.raises(ValueError, match="one or more of"):
        parse_api_keys("k1=root")


def test_a_public_address_without_keys_is_refused_and_keys_stay_out_of_the_repr() -> None:
    assert GatewaySettings().startup_problem() is None
    assert "refusing to listen on 0.0.0.0" in (GatewaySettings(host="0.0.0.0").startup_problem() or "")
    keyed = GatewaySettings(host="0.0.0.0", api_keys="secret-key=score")
    assert keyed.startup_problem() is None and "secret-key" not in repr(keyed)
