"""Naive Bayes math for Spark's four model types, beyond the shared ``pi + theta · x``.

``pi`` holds log class priors (classes,), ``theta`` log conditional probabilities or, for
gaussian, means (classes, features), ``sigma`` gaussian variances (classes, features).
Multinomial raw scores are ``pi + theta · x``; bernoulli's are ``bias + weights · x`` with
the terms of :func:`bernoulli_terms`; complement's are ``theta · x`` less its log-sum-exp.
"""

from __future__ import annotations

import numpy as np


def bernoulli_terms(pi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``theta - log(1 - e^theta)`` and bias ``pi + Σ_j log(1 - e^theta_j)``."""
    neg_theta = np.log1p(-np.exp(theta))
    return theta - neg_theta, pi + neg_theta.sum(axis=1)


def gaussian_log_var_sum(sigma: np.ndarray) -> np.ndarray:
    """Σ_j log(sigma_ij) per class."""
    with np.errstate(divide="ignore"):
        return np.log(sigma).sum(axis=1)


def complement_normalize(scores: np.ndarray) -> np.ndarray:
    """Each row of ``theta · x`` minus its log-sum-exp, taken around the row max as scipy does."""
    mx = scores.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_sum_exp = np.log(np.exp(scores - mx).sum(axis=1, keepdims=True)) + mx
    return scores - log_sum_exp


def gaussian(
    x: np.ndarray, pi: np.ndarray, theta: np.ndarray, sigma: np.ndarray, log_var_sum: np.ndarray
) -> np.ndarray:
    """``pi_i - (Σ_j (x_j - theta_ij)² / sigma_ij + log_var_sum_i) / 2`` for dense (n, features) x."""
    out = np.empty((x.shape[0], theta.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(theta.shape[0]):  # one class at a time keeps memory at n × features
            d = x - theta[i]
            out[:, i] = pi[i] - ((d * d / sigma[i]).sum(axis=1) + log_var_sum[i]) / 2
    return out
