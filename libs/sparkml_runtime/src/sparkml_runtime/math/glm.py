"""Generalized linear model math: Spark's families (``project``) and links (``unlink``).

``fitted(eta) = family.project(link.unlink(eta))``, as in Spark's
``GeneralizedLinearRegression.FamilyAndLink``. Every function takes a float64 array (or a
numpy scalar) and follows the JVM's arithmetic: overflow gives ±∞, ``pow`` of a negative
base with a fractional exponent gives NaN, nothing raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPSILON = 1e-16  # GeneralizedLinearRegression.epsilon
DOUBLE_MAX = float(np.finfo(np.float64).max)

FAMILIES = ("gaussian", "binomial", "poisson", "gamma", "tweedie")
LINKS = ("identity", "logit", "log", "inverse", "probit", "cloglog", "sqrt")
DEFAULT_LINK = {"gaussian": "identity", "binomial": "logit", "poisson": "log", "gamma": "inverse"}
_erf = np.frompyfunc(math.erf, 1, 1)


@dataclass(frozen=True)
class FamilyAndLink:
    """A resolved family (with its ``project``) and link (with its ``unlink``).

    ``family`` is one of gaussian, binomial, poisson, gamma, tweedie (tweedie only for
    variance powers other than 0, 1, 2, which Spark maps to the named families); ``link`` is
    one of :data:`LINKS` or ``"power"`` with ``link_power``.
    """

    family: str
    link: str
    link_power: float = 1.0

    def fitted(self, eta: np.ndarray | float) -> np.ndarray:
        """The mean ``project(unlink(eta))`` for every linear predictor."""
        with np.errstate(all="ignore"):
            return self.project(self.unlink(np.asarray(eta, dtype=np.float64)))

    def unlink(self, eta: np.ndarray) -> np.ndarray:
        """The inverse link function."""
        link = self.link
        if link == "identity":
            return eta
        if link == "logit":
            return 1.0 / (1.0 + np.exp(-1.0 * eta))
        if link == "log":
            return np.exp(eta)
        if link == "inverse":
            return 1.0 / eta
        if link == "probit":
            # breeze's Gaussian(0, 1).cdf: 0.5 * (1 + erf(x / sqrt(2)))
            return 0.5 * (1.0 + np.asarray(_erf(eta / math.sqrt(2.0)), dtype=np.float64))
        if link == "cloglog":
            return 1.0 - np.exp(-1.0 * np.exp(eta))
        if link == "sqrt":
            return eta * eta
        if self.link_power == 0.0:  # Power(0) is the log link
            return np.exp(eta)
        return np.power(eta, 1.0 / self.link_power)

    def project(self, mu: np.ndarray) -> np.ndarray:
        """Clamp the mean into the family's valid range, as Spark's ``Family.project``."""
        if self.family == "gaussian":
            return np.clip(mu, -DOUBLE_MAX, DOUBLE_MAX)  # ±∞ → ±Double.MaxValue, NaN stays
        if self.family == "binomial":
            return np.where(mu < EPSILON, EPSILON, np.where(mu > 1.0 - EPSILON, 1.0 - EPSILON, mu))
        # Poisson, gamma and tweedie share Tweedie.project.
        return np.where(mu < EPSILON, EPSILON, np.where(np.isinf(mu), DOUBLE_MAX, mu))


def resolve(family: str, variance_power: float, link: str | None, link_power: float | None) -> FamilyAndLink:
    """Spark's ``FamilyAndLink.apply``: the family object and its link from the params.

    ``link`` counts only for non-tweedie families and ``link_power`` only for tweedie, each
    only when the user set it; otherwise the family's default link applies.
    """
    family = family.lower()
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; Spark supports {', '.join(FAMILIES)}")
    if family == "tweedie":
        named = {0.0: "gaussian", 1.0: "poisson", 2.0: "gamma"}.get(variance_power)
        if link_power is None:
            if named is not None:
                return FamilyAndLink(named, DEFAULT_LINK[named])
            # Tweedie's default is a plain Power link, even where a named link would match.
            return FamilyAndLink("tweedie", "power", 1.0 - variance_power)
        return _power_link(named or "tweedie", link_power)
    if link is None:
        return FamilyAndLink(family, DEFAULT_LINK[family])
    link = link.lower()
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r}; Spark supports {', '.join(LINKS)}")
    return FamilyAndLink(family, link)


def _power_link(family: str, power: float) -> FamilyAndLink:
    """Spark's ``Link.fromParams`` for tweedie: named links for the usual powers."""
    named = {0.0: "log", 1.0: "identity", -1.0: "inverse", 0.5: "sqrt"}.get(power)
    return FamilyAndLink(family, named or "power", power)
