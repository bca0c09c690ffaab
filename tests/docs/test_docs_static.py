"""What the docs name exists: settings variables, scorer flags, metrics; JSON blocks parse; markers are well formed.

These need no broker: a renamed variable, flag or metric fails here even in a block marked skip.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

from tests.docs.blocks import DOCUMENTS, REPO_ROOT, blocks_of

ALL_BLOCKS = [block for path in DOCUMENTS for block in blocks_of(path)]
TEXTS = {path: path.read_text(encoding="utf-8") for path in DOCUMENTS}


def _settings_variables() -> dict[str, set[str]]:
    """Every environment variable each settings class reads, by prefix."""
    from pydantic import AliasChoices

    from services.gateway.settings import GatewaySettings
    from services.scorer.settings import ScorerSettings
    from services.trainer.settings import TrainerSettings
    from spindrift.kafka.settings import KafkaSettings

    known: dict[str, set[str]] = {}
    for prefix, cls in (
        ("TRAINER_", TrainerSettings),
        ("SCORER_", ScorerSettings),
        ("GATEWAY_", GatewaySettings),
        ("KAFKA_", KafkaSettings),
    ):
        names = known.setdefault(prefix, set())
        for field_name, field in cls.model_fields.items():
            names.add(f"{prefix}{field_name}".upper())
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(str(choice).upper() for choice in alias.choices)
    return known


_VARIABLE = re.compile(r"\b(TRAINER|SCORER|GATEWAY|KAFKA)_[A-Z0-9_]*[A-Z0-9]\b")
# Families the docs name by their prefix alone ("KAFKA_SASL_*"), and a variable of the compose file.
_FAMILIES = {"KAFKA_SASL"}


def test_every_settings_variable_the_docs_name_is_read_by_its_service() -> None:
    known = _settings_variables()
    unknown = []
    for path, text in TEXTS.items():
        for match in _VARIABLE.finditer(text):
            name = match.group(0)
            if name in _FAMILIES or name in known[match.group(1) + "_"]:
                continue
            line = text.count("\n", 0, match.start()) + 1
            unknown.append(f"{path.relative_to(REPO_ROOT)}:{line}: {name}")
    assert not unknown, "the docs name variables no settings class reads:\n" + "\n".join(unknown)


def test_every_scorer_command_line_in_the_docs_parses() -> None:
    from services.scorer.__main__ import build_parser

    lines = [
        (block, line)
        for block in ALL_BLOCKS
        if block.language in ("bash", "sh", "")
        for line in block.text.splitlines()
        if "python -m services.scorer" in line
    ]
    assert lines, "the docs show how to start a scorer"
    for block, line in lines:
        command = line.split("python -m services.scorer", 1)[1].split("&")[0].split("#")[0]
        argv = [word if not word.startswith("$") else "1" for word in shlex.split(command)]
        parser = build_parser()
        parser.exit_on_error = False
        try:
            parser.parse_args(argv)
        except SystemExit as exc:  # argparse exits on an unknown flag even with exit_on_error off
            raise AssertionError(f"{block.where}: `{line.strip()}` does not parse: exit {exc.code}") from None


def _metric_names_in_code() -> set[str]:
    names = set()
    for source in [*REPO_ROOT.glob("services/*/*.py"), *REPO_ROOT.glob("spindrift/**/*.py")]:
        names.update(re.findall(r"\"(spindrift_[a-z0-9_]+)\"", source.read_text(encoding="utf-8")))
    return names


def test_every_metric_the_docs_name_is_defined() -> None:
    defined = _metric_names_in_code()
    unknown = []
    for path, text in TEXTS.items():
        for name in set(re.findall(r"`(spindrift_[a-z0-9_]+)", text)):
            base = re.sub(r"_(total|bucket|count|sum|created)$", "", name)
            if name not in defined and base not in defined:
                unknown.append(f"{path.relative_to(REPO_ROOT)}: {name}")
    assert not unknown, "the docs name metrics no service defines:\n" + "\n".join(unknown)


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.language == "json"], ids=lambda b: b.where)
def test_json_blocks_parse_and_training_specs_pass_the_trainers_checks(block) -> None:
    from services.trainer.spec import parse_train_spec

    value = json.loads(block.text)
    if isinstance(value, dict) and "pipeline" in value:
        parse_train_spec(value)


def test_blocks_to_run_are_marked_or_runnable_and_skips_are_few() -> None:
    runnable = [b for b in ALL_BLOCKS if b.runnable]
    skipped = [b for b in ALL_BLOCKS if b.marker == "skip"]
    assert len(runnable) >= 15, [b.where for b in runnable]
    assert len(skipped) <= 7, "blocks marked skip are meant to be few: " + ", ".join(b.where for b in skipped)
    unlabelled_commands = [
        b.where for b in ALL_BLOCKS if b.language == "" and re.search(r"^(curl|spindrift|kcat|python) ", b.text, re.M)
    ]
    assert not unlabelled_commands, "commands belong in bash blocks (run, or marked skip): " + ", ".join(
        unlabelled_commands
    )


@pytest.mark.parametrize("target", ["test", "demo", "up"])
def test_make_fetches_the_kafka_jars_only_without_a_cluster_to_use(target: str) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def planned(**env: str) -> str:
        # -n prints the commands without running any; -B plans every step, installed or not.
        done = subprocess.run(
            ["make", "-n", "-B", target],
            cwd=REPO_ROOT,
            env={k: v for k, v in {**os.environ, **env}.items() if v},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "spindrift.kafka.embedded fetch" not in planned(KAFKA_BOOTSTRAP_SERVERS="broker1:9092")
    assert "spindrift.kafka.embedded fetch" in planned(KAFKA_BOOTSTRAP_SERVERS="")
