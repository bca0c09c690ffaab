"""One-vs-rest scores: each binary model's confidence in its own class."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def positive_scores(raws: Sequence[np.ndarray], n: int, classes: int) -> np.ndarray:
    """``rawPrediction(1)`` of each binary model, as an (n, classes) array (Spark's accumulator)."""
    if not raws:
        return np.zeros((n, classes))
    return np.column_stack([raw[:, 1] for raw in raws])


def positive_scores_row(raws: Sequence[Sequence[float]]) -> list[float]:
    """Row form of :func:`positive_scores`."""
    return [float(raw[1]) for raw in raws]
