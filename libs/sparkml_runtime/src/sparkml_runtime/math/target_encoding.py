"""Target encodings, as Spark 4's ``TargetEncoderModel.transform`` blends them.

Per category c with (count n_c, stat s_c) and the global (n, s) saved under category
``Int.MaxValue``: ``w = n_c / (n_c + smoothing)``; binary targets (s = count of 1s) give
``w · s_c / n_c + (1 - w) · s / n``; continuous ones (s = mean) give ``w · s_c + (1 - w) · s``.
"""

from __future__ import annotations

UNSEEN_CATEGORY = float(2**31 - 1)  # Int.MaxValue: the global statistics
NULL_CATEGORY = -1.0


def encodings(stats: dict[float, tuple[float, float]], smoothing: float, binary: bool) -> dict[float, float]:
    """Category -> encoding, including the UNSEEN and NULL entries."""
    g_count, g_stat = stats[UNSEEN_CATEGORY]
    out = {}
    for cat, (count, stat) in stats.items():
        weight = count / (count + smoothing)
        if binary:
            out[cat] = weight * (stat / count) + (1 - weight) * (g_stat / g_count)
        else:
            out[cat] = weight * stat + (1 - weight) * g_stat
    return out
