"""The seed's tutorial job (Spark's ML pipeline example) as a trainer spec, shared by the trainer tests."""

from __future__ import annotations

from typing import Any

TRAINING_ROWS = [
    {"id": 0, "text": "a b c d e spark", "label": 1.0},
    {"id": 1, "text": "b d", "label": 0.0},
    {"id": 2, "text": "spark f g h", "label": 1.0},
    {"id": 3, "text": "hadoop mapreduce", "label": 0.0},
]
TEST_TEXTS = ["spark i j k", "l m n", "spark hadoop spark", "apache hadoop"]
PIPELINE = [
    {"stage": "Tokenizer", "params": {"inputCol": "text", "outputCol": "words"}},
    {"stage": "HashingTF", "params": {"inputCol": "words", "outputCol": "features"}},
    {"stage": "LogisticRegression", "params": {"maxIter": 10, "regParam": 0.001}},
]


def tutorial_spec(model: str = "tutorial", **extra: Any) -> dict[str, Any]:
    """The tutorial train spec for ``model``; ``extra`` adds or replaces top-level fields."""
    return {"model": model, "pipeline": PIPELINE, "data": {"rows": TRAINING_ROWS}, **extra}
