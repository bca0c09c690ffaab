"""Gaussian mixture membership, as Spark's ``GaussianMixtureModel.computeProbabilities``.

Each component's density is mllib's ``MultivariateGaussian.pdf``: Σ is pseudo-inverted
through its eigen-decomposition, dropping eigenvalues at or below
``tol = EPSILON · max(eigenvalue) · dimension``; ``log pdf = -½ (d log 2π + log pdet Σ) - ½ |D^-½ Uᵀ (x - μ)|²``.
Probabilities are ``(EPSILON + w_k · pdf_k(x)) / Σ_j (EPSILON + w_j · pdf_j(x))``.
"""

from __future__ import annotations

import math

import numpy as np

EPSILON = float(np.finfo(np.float64).eps)


class Gaussian:
    """One component: its mean and the pseudo-inverse root of its covariance."""

    def __init__(self, mu: np.ndarray, sigma: np.ndarray) -> None:
        self.mu = mu
        d, u = np.linalg.eigh(sigma)
        tol = EPSILON * float(d.max()) * len(d)
        keep = d > tol
        log_pdet = float(np.log(d[keep]).sum())
        inv_root = np.where(keep, np.sqrt(1.0 / np.where(keep, d, 1.0)), 0.0)
        self.root_sigma_inv = inv_root[:, None] * u.T
        self.u = -0.5 * (len(mu) * math.log(2.0 * math.pi) + log_pdet)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at each row of an (n, d) array."""
        v = (x - self.mu) @ self.root_sigma_inv.T
        return np.exp(self.u + (v * v).sum(axis=1) * -0.5)


def probabilities(x: np.ndarray, weights: np.ndarray, gaussians: list[Gaussian]) -> np.ndarray:
    """(n, k) membership probabilities of each row."""
    p = np.column_stack([EPSILON + w * g.pdf(x) for w, g in zip(weights.tolist(), gaussians, strict=True)])
    return p / p.sum(axis=1, keepdims=True)
