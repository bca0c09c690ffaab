"""The scorer's command line rejects bad input with a message naming the fix (no broker needed)."""

from __future__ import annotations

import pytest

from services.scorer.__main__ import build_parser, main, settings_from_args
from services.scorer.stream import parse_stream_spec


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--stream", "only-one-topic", "--model", "m"], "IN:OUT"),
        (["--stream", "same:same", "--model", "m"], "different topics"),
        (["--stream", "in:out"], "--stream needs --model"),
        (["--model", "m"], "only apply with --stream"),
        (["--max-batch-rows", "0"], "max_batch_rows"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert needle in capsys.readouterr().err


def test_command_line_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORER_GROUP_ID", "from-env")
    monkeypatch.setenv("SCORER_MAX_WAIT_MS", "7")
    settings = settings_from_args(build_parser().parse_args(["--group-id", "from-cli", "--no-batching"]))
    assert (settings.group_id, settings.max_wait_ms, settings.batching) == ("from-cli", 7.0, False)


def test_stream_spec_is_split_and_trimmed() -> None:
    assert parse_stream_spec(" events.in : events.out ") == ("events.in", "events.out")
