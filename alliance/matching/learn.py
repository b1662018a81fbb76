"""Refitting the matching weights on the practice's own history.

Each past partnership gives the unweighted score components it was matched on
(`Index.features`) and the alliance the client reported at session 3. New weights are fitted
by non-negative least squares (so every weight stays a reason in favour, never against) and
compared with the current ones by k-fold cross-validation on held-out partnerships; they
replace the current weights only if the held-out error improves by `min_improvement`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

from alliance.matching.weights import COMPONENTS, Weights

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FitReport:
    weights: Weights
    replaced: bool
    cv_error_current: float
    cv_error_new: float
    folds: int
    partnerships: int
    fitted: tuple[str, ...]


def _folds(n: int, k: int, seed: int) -> list[NDArray[np.int64]]:
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, k)]


def _calibrated_error(
    score_train: FloatArray, y_train: FloatArray, score_test: FloatArray, y_test: FloatArray
) -> float:
    """Held-out squared error of y ~ a + b * score (scale-free: weights only rank)."""
    design = np.column_stack([np.ones_like(score_train), score_train])
    coef, *_ = np.linalg.lstsq(design, y_train, rcond=None)
    pred = coef[0] + coef[1] * score_test
    return float(((pred - y_test) ** 2).sum())


def _fit_nnls(x: FloatArray, y: FloatArray) -> FloatArray:
    mean_x, mean_y = x.mean(axis=0), y.mean()
    coef, _ = nnls(x - mean_x, y - mean_y)
    return np.asarray(coef, dtype=np.float64)


def refit(
    features: FloatArray,
    alliance: FloatArray,
    current: Weights,
    *,
    new_version: str,
    folds: int = 5,
    seed: int = 0,
    min_improvement: float = 0.01,
) -> FitReport:
    """Fit weights on history; return them only if held-out error improves enough.

    `features` is (partnerships, len(COMPONENTS)) in `COMPONENTS` order; `alliance` is the
    observed session-3 alliance. Components that never vary in the history (e.g. no switches
    yet) cannot be learned and keep their current weight.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(alliance, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(COMPONENTS) or x.shape[0] != y.shape[0]:
        raise ValueError(f"features must be (n, {len(COMPONENTS)}) and alliance (n,)")
    if x.shape[0] < 2 * folds:
        raise ValueError(f"need at least {2 * folds} partnerships for {folds}-fold validation")
    # Standardise the outcome so fitted weights are in SDs of alliance, like the defaults.
    sd = y.std()
    y = (y - y.mean()) / (sd if sd > 0 else 1.0)
    varies = x.std(axis=0) > 1e-9
    w_current = np.array(current.vector())

    err_current = err_new = 0.0
    parts = _folds(x.shape[0], folds, seed)
    for test in parts:
        train = np.setdiff1d(np.arange(x.shape[0]), test)
        err_current += _calibrated_error(
            x[train] @ w_current, y[train], x[test] @ w_current, y[test]
        )
        w = w_current.copy()
        w[varies] = _fit_nnls(x[train][:, varies], y[train])
        err_new += _calibrated_error(x[train] @ w, y[train], x[test] @ w, y[test])
    n = x.shape[0]
    err_current, err_new = err_current / n, err_new / n

    w_all = w_current.copy()
    w_all[varies] = _fit_nnls(x[:, varies], y)
    replaced = err_new < err_current * (1.0 - min_improvement) and bool(w_all.any())
    weights = (
        Weights(version=new_version, **dict(zip(COMPONENTS, w_all.tolist(), strict=True)))
        if replaced
        else current
    )
    return FitReport(
        weights=weights,
        replaced=replaced,
        cv_error_current=err_current,
        cv_error_new=err_new,
        folds=folds,
        partnerships=n,
        fitted=tuple(c for c, v in zip(COMPONENTS, varies, strict=True) if v),
    )
