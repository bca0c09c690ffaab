"""Vector-to-vector math: p-norms, polynomial expansion, DCT, slicing and interactions.

Each function follows the loop order of Spark's implementation where the order decides the
result (which terms exist, which stay zero, NaN and infinity handling); sums may differ from
Spark's only in the last bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

# --- p-norms (Spark's Vectors.norm) -------------------------------------------------------------


def p_norm(values: np.ndarray, p: float) -> float:
    """Spark's ``Vectors.norm`` over stored values; the inf-norm skips NaN, as Spark's ``>`` loop."""
    if values.size == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # overflow gives inf, as on the JVM
        return _p_norm(values, p)


def _p_norm(values: np.ndarray, p: float) -> float:
    a = np.abs(values)
    if p == 1.0:
        return float(a.sum())
    if p == 2.0:
        return math.sqrt(float(np.dot(values, values)))
    if p == math.inf:
        return float(np.max(np.where(np.isnan(a), 0.0, a), initial=0.0))
    return float(np.sum(a**p)) ** (1.0 / p)


def p_norms_of_entries(rows: np.ndarray, values: np.ndarray, n_rows: int, p: float) -> np.ndarray:
    """``p_norm`` of each row, given stored entries as (row of entry, value)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow gives inf, as on the JVM
        return _p_norms_of_entries(rows, values, n_rows, p)


def _p_norms_of_entries(rows: np.ndarray, values: np.ndarray, n_rows: int, p: float) -> np.ndarray:
    a = np.abs(values)
    if p == math.inf:
        out = np.zeros(n_rows)
        np.maximum.at(out, rows, np.where(np.isnan(a), 0.0, a))
        return out
    if p == 1.0:
        return np.bincount(rows, weights=a, minlength=n_rows)
    if p == 2.0:
        return np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
    return np.bincount(rows, weights=a**p, minlength=n_rows) ** (1.0 / p)


# --- polynomial expansion ------------------------------------------------------------------------


def poly_size(num_features: int, degree: int) -> int:
    """Number of monomials of degree <= ``degree`` in ``num_features`` variables (incl. the constant)."""
    return math.comb(num_features + degree, degree)


def poly_expand_rows(x: np.ndarray, degree: int, active: np.ndarray | None = None) -> np.ndarray:
    """Spark's PolynomialExpansion of every row of ``x`` (without the constant term).

    Follows Spark's recursion from the last feature down: a branch stops as soon as its
    multiplier is 0 (so ``inf * 0`` never happens on a stopped branch). ``active`` marks the
    stored entries of sparse rows: Spark's sparse recursion only visits those, so a feature
    that is not stored only ever takes exponent 0.
    """
    n_rows, n = x.shape
    out = np.zeros((n_rows, poly_size(n, degree) - 1))

    def expand(last: int, deg: int, mult: np.ndarray, cur: int) -> int:
        if deg == 0 or last < 0:
            if cur >= 0:  # skip the constant term
                out[:, cur] = np.where(mult != 0, mult, 0.0)
            return cur + poly_size(last + 1, deg)
        v = x[:, last]
        alpha = mult
        stopped = alpha == 0
        start = cur
        for i in range(deg + 1):
            start = expand(last - 1, deg - i, np.where(stopped, 0.0, alpha), start)
            alpha = alpha * v
            stopped = stopped | (alpha == 0)
            if active is not None:
                stopped = stopped | ~active[:, last]
        return cur + poly_size(last + 1, deg)

    with np.errstate(invalid="ignore", over="ignore"):
        expand(n - 1, degree, np.ones(n_rows), -1)
    return out


def poly_expand_dense(values: Sequence[float], degree: int) -> list[float]:
    """Spark's ``expandDense`` for one row (pure Python, for the one-row path)."""
    n = len(values)
    out = [0.0] * (poly_size(n, degree) - 1)

    def expand(last: int, deg: int, mult: float, cur: int) -> int:
        if mult == 0.0:
            pass
        elif deg == 0 or last < 0:
            if cur >= 0:
                out[cur] = mult
        else:
            v = values[last]
            alpha = mult
            start = cur
            i = 0
            while i <= deg and alpha != 0.0:
                start = expand(last - 1, deg - i, alpha, start)
                i += 1
                alpha *= v
        return cur + poly_size(last + 1, deg)

    expand(n - 1, degree, 1.0, -1)
    return out


def poly_expand_sparse(
    size: int, indices: Sequence[int], values: Sequence[float], degree: int
) -> tuple[int, list[int], list[float]]:
    """Spark's ``expandSparse`` for one sparse row: (output size, indices, values)."""
    out_idx: list[int] = []
    out_val: list[float] = []

    def expand(last: int, last_feature: int, deg: int, mult: float, cur: int) -> int:
        if mult == 0.0:
            pass
        elif deg == 0 or last < 0:
            if cur >= 0:
                out_idx.append(cur)
                out_val.append(mult)
        else:
            v = values[last]
            alpha = mult
            start = cur
            i = 0
            while i <= deg and alpha != 0.0:
                start = expand(last - 1, indices[last] - 1, deg - i, alpha, start)
                i += 1
                alpha *= v
        return cur + poly_size(last_feature + 1, deg)

    expand(len(values) - 1, size - 1, degree, 1.0, -1)
    return poly_size(size, degree) - 1, out_idx, out_val


# --- DCT (JTransforms' scaled DoubleDCT_1D: orthonormal DCT-II forward, DCT-III inverse) ---------

_DCT_MATRIX_MAX = 256


@lru_cache(maxsize=16)
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    m = np.cos(np.pi * k * (2 * j + 1) / (2 * n))
    m[0] *= math.sqrt(1.0 / n)
    m[1:] *= math.sqrt(2.0 / n)
    return m


def _ortho_scale(n: int) -> np.ndarray:
    s = np.full(n, math.sqrt(2.0 / n))
    s[0] = math.sqrt(1.0 / n)
    return s


def dct_rows(x: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Orthonormal DCT-II of each row (DCT-III, its inverse, when ``inverse``), as Spark's DCT."""
    n = x.shape[1]
    if n == 0:
        return x.copy()
    if n <= _DCT_MATRIX_MAX:
        m = _dct_matrix(n)
        return x @ (m if inverse else m.T)
    # Large sizes: the same sums through a 2n-point FFT.
    phase = np.exp(-1j * np.pi * np.arange(n) / (2 * n))
    if not inverse:
        spectrum = np.fft.fft(x, n=2 * n, axis=1)[:, :n]
        return (spectrum * phase).real * _ortho_scale(n)
    coeffs = x * _ortho_scale(n) * np.conj(phase)
    return (np.fft.ifft(coeffs, n=2 * n, axis=1)[:, :n] * (2 * n)).real


# --- slicing -------------------------------------------------------------------------------------


def sparse_slice(size_selected: int, dense_selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spark's ``SparseVector.slice``: the selected non-zeros (NaN counts as non-zero), re-indexed."""
    idx = np.flatnonzero(dense_selected)
    return idx, dense_selected[idx]


# --- interaction ---------------------------------------------------------------------------------

# One input's encoder: None = every feature numeric (one output each); a list = per-feature
# widths, where a width > 1 one-hot encodes a nominal feature with that many values.
Widths = list[int] | None
NonZeros = list[tuple[int, float]]


def encoder_outputs(
    value: float | tuple[int, Sequence[int], Sequence[float]], widths: Widths, fail: Callable[[str], Exception]
) -> tuple[int, NonZeros]:
    """Spark's ``FeatureEncoder.foreachNonzeroOutput``: (output size, [(index, value)]).

    ``value`` is a double or a vector given as (size, active indices, their values), where
    the active entries are every position of a dense vector and the stored ones of a sparse
    vector. Every active entry emits, zeros included (zeros are dropped by ``compressed``).
    """
    if not isinstance(value, tuple):
        w = widths[0] if widths else 1
        if w > 1:
            return w, [(_category(value, w, fail), 1.0)]
        return 1, [(0, value)]
    size, indices, values = value
    if widths is None:
        return size, list(zip(indices, values, strict=True))
    if len(widths) != size:
        raise fail(f"vector size was {size}, the model expects {len(widths)}")
    offsets = np.concatenate(([0], np.cumsum(widths)[:-1])).tolist()
    out: NonZeros = []
    for i, v in zip(indices, values, strict=True):
        w = widths[i]
        if w > 1:
            out.append((offsets[i] + _category(v, w, fail), 1.0))
        else:
            out.append((offsets[i], v))
    return int(sum(widths)), out


def _category(v: float, width: int, fail: Callable[[str], Exception]) -> int:
    if not (v >= 0.0 and math.isfinite(v) and v == int(v) and int(v) < width):
        raise fail(f"values of a nominal feature must be category indices in [0, {width}), got {v}")
    return int(v)


def interact(encoded: Sequence[tuple[int, NonZeros]]) -> tuple[int, list[int], list[float]]:
    """Spark's Interaction product of encoded inputs: (size, indices, values), zeros included.

    Built from the last input to the first, as Spark does, so indices come out sorted and
    each product is multiplied in Spark's order.
    """
    indices = [0]
    values = [1.0]
    size = 1
    for out_size, nonzeros in reversed(encoded):
        prev_size = size
        size *= out_size
        new_idx: list[int] = []
        new_val: list[float] = []
        for i, a in nonzeros:
            base = i * prev_size
            for p, pv in zip(indices, values, strict=True):
                new_idx.append(p + base)
                new_val.append(pv * a)
        indices, values = new_idx, new_val
    return size, indices, values
