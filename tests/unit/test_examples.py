"""The files under examples/ that the README tells users to send stay true to the code."""

from __future__ import annotations

import json
from pathlib import Path

from services.trainer.spec import parse_train_spec
from spindrift.demo import tutorial_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_tutorial_spec_file_is_the_demos_spec() -> None:
    assert json.loads((EXAMPLES / "tutorial.json").read_text()) == tutorial_spec("tutorial")


def test_the_tutorial_spec_file_is_a_spec_the_trainer_accepts() -> None:
    spec = parse_train_spec(json.loads((EXAMPLES / "tutorial.json").read_text()))
    assert spec.model == "tutorial" and [s.name for s in spec.stages] == [
        "Tokenizer",
        "HashingTF",
        "LogisticRegression",
    ]
