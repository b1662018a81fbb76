from __future__ import annotations

import numpy as np

from alliance.matching.learn import refit
from alliance.matching.weights import COMPONENTS, DEFAULT_WEIGHTS


def _history(true: np.ndarray, noise: float, n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(COMPONENTS)))
    x[:, COMPONENTS.index("switch_reason")] = 0.0  # no switches in this history
    return x, x @ true + rng.normal(0, noise, n)


def test_refit_replaces_weights_when_held_out_fit_improves():
    true = np.array([0.0, 0.0, 2.0, 0.0, 0.0, 0.0])
    x, y = _history(true, noise=0.3)
    report = refit(x, y, DEFAULT_WEIGHTS, new_version="2025.2-fit")
    assert report.replaced
    assert report.cv_error_new < report.cv_error_current
    assert report.weights.version == "2025.2-fit"
    assert report.weights.alliance > report.weights.preference
    # Nothing to learn about switches yet: that weight is kept.
    assert report.weights.switch_reason == DEFAULT_WEIGHTS.switch_reason


def test_refit_keeps_current_weights_when_history_is_noise():
    x, _ = _history(np.zeros(len(COMPONENTS)), noise=1.0)
    y = np.random.default_rng(1).normal(size=x.shape[0])
    report = refit(x, y, DEFAULT_WEIGHTS, new_version="2025.2-fit")
    assert not report.replaced
    assert report.weights is DEFAULT_WEIGHTS


def test_weights_learned_are_never_negative():
    true = np.array([-1.0, 0.5, 1.0, 0.0, 0.0, 0.0])
    x, y = _history(true, noise=0.1)
    report = refit(x, y, DEFAULT_WEIGHTS, new_version="v")
    assert all(v >= 0 for v in report.weights.vector())
