"""Empirical-Bayes shrinkage of therapist records (normal-normal model).

A therapist's observed mean over few cases is mostly noise; Constantino et al. 2021 classed
therapists per domain only against risk-adjusted norms and from >= 15 past cases. Here each
therapist's mean y_i over n_i cases has sampling variance s_i^2 = sigma^2 / n_i around their
true value theta_i ~ N(mu, tau^2). tau^2 is estimated by the method of moments
(DerSimonian & Laird 1986); the posterior mean mu + B_i (y_i - mu), B_i = tau^2 / (tau^2 +
s_i^2), moves further towards the practice mean the less evidence there is, and a therapist
with no cases gets the prior mean, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Constantino et al. 2021 profiled therapists on at least 15 past cases per domain.
MIN_CASES = 15
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Prior:
    """The practice-level distribution of true therapist means."""

    mean: float
    between_var: float
    within_var: float
    therapists: int


@dataclass(frozen=True)
class Shrunk:
    """Posterior per therapist: mean, central interval, reliability B_i and shown flag."""

    mean: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    reliability: NDArray[np.float64]
    n: NDArray[np.int64]
    shown: NDArray[np.bool_]


def pooled_within_variance(sds: ArrayLike, ns: ArrayLike) -> float:
    """Client-level variance pooled over therapists: sum((n-1) sd^2) / sum(n-1)."""
    sd = np.asarray(sds, dtype=np.float64)
    n = np.asarray(ns, dtype=np.int64)
    dof = np.clip(n - 1, 0, None)
    total = int(dof.sum())
    if total == 0:
        return 0.0
    return float((dof * sd * sd).sum() / total)


def estimate_prior(means: ArrayLike, ns: ArrayLike, within_var: float) -> Prior:
    """Method-of-moments (DerSimonian-Laird) estimate of mu and tau^2 from therapist means."""
    y = np.asarray(means, dtype=np.float64)
    n = np.asarray(ns, dtype=np.int64)
    has = n > 0
    k = int(has.sum())
    if k == 0:
        return Prior(mean=0.0, between_var=0.0, within_var=within_var, therapists=0)
    y, n = y[has], n[has]
    sigma2 = max(within_var, 1e-12)
    w = n / sigma2
    mean_fixed = float((w * y).sum() / w.sum())
    if k < 2:
        return Prior(mean=mean_fixed, between_var=0.0, within_var=within_var, therapists=k)
    q = float((w * (y - mean_fixed) ** 2).sum())
    c = float(w.sum() - (w * w).sum() / w.sum())
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    w_star = 1.0 / (tau2 + sigma2 / n)
    mu = float((w_star * y).sum() / w_star.sum())
    return Prior(mean=mu, between_var=tau2, within_var=within_var, therapists=k)


def shrink(
    means: ArrayLike,
    ns: ArrayLike,
    prior: Prior,
    *,
    z: float = Z_95,
    min_cases: int = MIN_CASES,
) -> Shrunk:
    """Posterior means and intervals; `shown` is False below `min_cases` (no raw rankings)."""
    y = np.asarray(means, dtype=np.float64)
    n = np.asarray(ns, dtype=np.int64)
    tau2 = prior.between_var
    sigma2 = max(prior.within_var, 1e-12)
    with np.errstate(divide="ignore"):
        s2 = np.where(n > 0, sigma2 / np.maximum(n, 1), np.inf)
    reliability = np.where(n > 0, tau2 / (tau2 + s2), 0.0) if tau2 > 0 else np.zeros_like(y)
    post_mean = prior.mean + reliability * np.where(n > 0, y - prior.mean, 0.0)
    # Posterior variance B_i s_i^2 is tau^2 (1 - B_i); with no evidence it is the prior's.
    post_var = tau2 * (1.0 - reliability)
    half = z * np.sqrt(post_var)
    return Shrunk(
        mean=post_mean,
        lower=post_mean - half,
        upper=post_mean + half,
        reliability=reliability,
        n=n,
        shown=n >= min_cases,
    )


def shrink_records(
    means: ArrayLike, sds: ArrayLike, ns: ArrayLike, *, min_cases: int = MIN_CASES
) -> tuple[Prior, Shrunk]:
    """Estimate the prior from the records themselves, then shrink every therapist."""
    within = pooled_within_variance(sds, ns)
    prior = estimate_prior(means, ns, within)
    return prior, shrink(means, ns, prior, min_cases=min_cases)


def shrink_columns(
    ev: NDArray[np.float64], min_cases: int
) -> tuple[NDArray[np.float64], NDArray[np.int64], tuple[Prior, ...]]:
    """Per column: estimate the prior, shrink, and express as SDs of client-level spread.

    `ev` stacks means, SDs and case counts, each (therapists, columns), as `Index` keeps
    them per problem domain or per pillar.
    """
    means, sds, ns = ev[0], ev[1], ev[2].astype(np.int64)
    z = np.zeros_like(means)
    priors = []
    for j in range(means.shape[1]):
        within = pooled_within_variance(sds[:, j], ns[:, j])
        prior = estimate_prior(means[:, j], ns[:, j], within)
        post = shrink(means[:, j], ns[:, j], prior, min_cases=min_cases)
        if within > 0:
            z[:, j] = (post.mean - prior.mean) / np.sqrt(within)
        priors.append(prior)
    return np.ascontiguousarray(z.T), np.ascontiguousarray(ns.T), tuple(priors)
