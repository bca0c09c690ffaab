"""What every probabilistic classifier shares: raw scores → probabilities → a class index.

Each rule mirrors Spark's ``ProbabilisticClassificationModel`` and ``Vector.argmax`` to the
comparison: NaN never wins a later slot, ties go to the first index. Batch forms take an
``(n, classes)`` array; row forms take a plain list of floats (no numpy per row).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Scala's Double.MinValue: the start of Utils.softmax's running max (not -inf).
_DOUBLE_MIN = -float(np.finfo(np.float64).max)


def argmax(raw: np.ndarray) -> np.ndarray:
    """Spark's ``DenseVector.argmax`` per row: first index of a strictly larger value.

    A NaN in slot 0 sticks (nothing compares greater); a NaN elsewhere never wins.
    """
    if raw.shape[0] == 0:
        return np.zeros(0)
    cleaned = np.where(np.isnan(raw), -np.inf, raw)
    out = cleaned.argmax(axis=1)
    out[np.isnan(raw[:, 0])] = 0
    return out.astype(np.float64)


def argmax_row(values: Sequence[float]) -> float:
    """Row form of :func:`argmax`."""
    best = 0
    top = values[0]
    for i in range(1, len(values)):
        if values[i] > top:
            best = i
            top = values[i]
    return float(best)


def thresholded_argmax(prob: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``probability2prediction`` with thresholds: argmax of p / t, first wins ties.

    A class with threshold 0 wins (p / 0 = ∞) unless its probability is 0 too (NaN never wins).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = prob / thresholds
    scaled = np.where(np.isnan(scaled), -np.inf, scaled)
    return scaled.argmax(axis=1).astype(np.float64)


def thresholded_argmax_row(prob: Sequence[float], thresholds: Sequence[float]) -> float:
    """Row form of :func:`thresholded_argmax` (Java division: p / 0 is ±∞ or NaN)."""
    best = 0
    top = -math.inf
    for i, (p, t) in enumerate(zip(prob, thresholds, strict=True)):
        if t != 0.0:
            scaled = p / t
        elif p > 0:
            scaled = math.inf
        else:
            scaled = math.nan  # 0 / 0 (or NaN): never selected
        if scaled > top:
            top = scaled
            best = i
    return float(best)


def normalize(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``normalizeToProbabilitiesInPlace`` per row: divide by the row sum.

    Returns the probabilities and a mask of rows Spark refuses (a negative entry or a sum
    that is not > 0), for the caller to report.
    """
    total = raw.sum(axis=1, keepdims=True)
    bad = (raw < 0).any(axis=1) | ~(total[:, 0] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return raw / total, bad


def normalize_row(raw: Sequence[float]) -> list[float] | None:
    """Row form of :func:`normalize`; None where Spark would refuse the vector."""
    total = 0.0
    for v in raw:
        if v < 0:
            return None
        total += v
    if not total > 0:
        return None
    return [v / total for v in raw]


def softmax(raw: np.ndarray) -> np.ndarray:
    """Spark 4's ``Utils.softmax`` per row: exp(x - max) scaled by 1 / sum.

    A +∞ entry makes a one-hot row (first +∞ wins); the running max starts at the most
    negative finite double, as Spark's does.
    """
    out = np.empty_like(raw)
    if raw.shape[0] == 0:
        return out
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        mx = np.maximum(np.where(np.isnan(raw), _DOUBLE_MIN, raw).max(axis=1, keepdims=True), _DOUBLE_MIN)
        e = np.exp(raw - mx)
        out[:] = e * (1.0 / e.sum(axis=1, keepdims=True))
    inf_rows = np.isposinf(raw).any(axis=1)
    if inf_rows.any():
        hot = np.zeros((int(inf_rows.sum()), raw.shape[1]))
        hot[np.arange(hot.shape[0]), np.isposinf(raw[inf_rows]).argmax(axis=1)] = 1.0
        out[inf_rows] = hot
    return out


def softmax_row(raw: Sequence[float]) -> list[float]:
    """Row form of :func:`softmax`."""
    top = _DOUBLE_MIN
    for i, v in enumerate(raw):
        if v == math.inf:
            hot = [0.0] * len(raw)
            hot[i] = 1.0
            return hot
        if v > top:
            top = v
    exps = [_exp(v - top) for v in raw]
    total = 0.0
    for e in exps:
        total += e
    scale = 1.0 / total if total != 0 else math.inf  # Java: 1 / 0 = ∞ (then 0 · ∞ = NaN)
    return [e * scale for e in exps]


def _exp(x: float) -> float:
    """``Math.exp``: overflow gives +∞ instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf
