"""The shared raw → probability → prediction rules, without Spark.

Parity tests cover ordinary values; these pin the corners Spark's source defines and that
fitted models rarely reach (NaN and ±∞ scores, 0/0 under thresholds), and check that the
row forms agree with the batch forms on every one of them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sparkml_runtime.math import classification as cm

INF, NAN = math.inf, math.nan

RAW_CASES = [
    [1.0, 3.0, 2.0],
    [2.0, 2.0, 1.0],  # tie: first index wins
    [NAN, 5.0, 1.0],  # NaN first: nothing compares greater, index 0 sticks (DenseVector.argmax)
    [1.0, NAN, 0.5],  # NaN later never wins
    [-INF, -INF, -INF],
    [3.0, INF, INF],  # softmax: the first +∞ takes all
    [-1e308, -1e308, 0.0],
    [1000.0, 999.0, -1000.0],  # exp would overflow without the max shift
]


@pytest.mark.parametrize("raw", RAW_CASES)
def test_row_and_batch_forms_agree(raw):
    batch = np.array([raw])
    assert cm.argmax(batch)[0] == cm.argmax_row(raw)
    np.testing.assert_array_equal(cm.softmax(batch)[0], np.array(cm.softmax_row(raw)))
    thresholds = [0.5, 0.0, 0.25]
    prob = cm.softmax_row(raw)
    assert cm.thresholded_argmax(np.array([prob]), np.array(thresholds))[0] == cm.thresholded_argmax_row(
        prob, thresholds
    )


def test_argmax_follows_dense_vector_argmax():
    assert [cm.argmax_row(r) for r in RAW_CASES[:4]] == [1.0, 0.0, 0.0, 0.0]


def test_softmax_corners():
    assert cm.softmax_row([3.0, INF, INF]) == [0.0, 1.0, 0.0]
    assert all(math.isnan(p) for p in cm.softmax_row([-INF, -INF]))  # 0 · (1 / 0) is NaN on the JVM
    p = cm.softmax_row([1000.0, 999.0])
    assert p[0] == pytest.approx(1 / (1 + math.exp(-1))) and p[0] + p[1] == pytest.approx(1.0)


def test_zero_threshold_wins_unless_its_probability_is_zero():
    assert cm.thresholded_argmax_row([0.5, 0.1, 0.4], [0.5, 0.0, 0.5]) == 1.0
    assert cm.thresholded_argmax_row([0.6, 0.0, 0.4], [0.5, 0.0, 0.5]) == 0.0  # 0 / 0 never wins


def test_normalize_refuses_what_spark_refuses():
    assert cm.normalize_row([1.0, 3.0]) == [0.25, 0.75]
    assert cm.normalize_row([0.0, 0.0]) is None
    assert cm.normalize_row([1.0, -1.0]) is None
    _, bad = cm.normalize(np.array([[1.0, 3.0], [0.0, 0.0], [2.0, -1.0]]))
    assert bad.tolist() == [False, True, True]
