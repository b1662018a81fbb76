"""Random practices for the batch agreement tests and the recompute benchmark.

Not a model of real clients (that is ``benchmarks/alerts_simulation.py``): values sit on
coarse grids so that thresholds are hit exactly and tie handling gets exercised.
"""

from __future__ import annotations

import numpy as np

from .batch import ATTENDED, LATE_CANCELLATION, NO_SHOW, BatchInput, OutcomeArrays


def random_practice(
    rng: np.random.Generator, partnerships: int, sessions: int = 20, weeks: int | None = None
) -> BatchInput:
    p, s = partnerships, sessions
    w = s if weeks is None else weeks

    def rating(present: float) -> np.ndarray:
        # ceiling-heavy ratings on a 0.05 grid, as alliance ratings are
        values = np.round(rng.beta(5.0, 1.5, (p, s)) * 20) / 20
        return np.where(rng.random((p, s)) < present, values, np.nan)

    codes = rng.choice(
        np.array([0, ATTENDED, LATE_CANCELLATION, NO_SHOW], dtype=np.int8),
        size=(p, s),
        p=[0.05, 0.8, 0.08, 0.07],
    )
    late = np.where(codes > 0, rng.choice([0.0, 0.0, 0.0, 5.0, 10.0, 20.0], size=(p, s)), np.nan)
    goal, task, bond = rating(0.75), rating(0.75), rating(0.75)
    rated = ~(np.isnan(goal) & np.isnan(task) & np.isnan(bond))
    skipped = (codes == ATTENDED) & ~rated & (rng.random((p, s)) < 0.5)

    def outcome(high: int, item9: bool) -> OutcomeArrays:
        start = rng.integers(0, high + 1, size=(p, 1))
        walk = np.cumsum(rng.integers(-3, 3, size=(p, s)), axis=1)
        totals = np.clip(start + walk, 0, high).astype(float)
        scheduled = (np.arange(s) % 2 == 0)[None, :] & (rng.random((p, s)) < 0.9)
        totals = np.where(scheduled, totals, np.nan)
        verdict = rng.choice([0.0, 1.0, 1.0, np.nan], size=(p, s))
        verdict = np.where(scheduled, verdict, np.nan)
        nine = None
        if item9:
            nine = np.where(scheduled, rng.choice([0.0] * 30 + [1.0, 2.0, 3.0], (p, s)), np.nan)
        return OutcomeArrays(totals, verdict, nine)

    lengths = rng.integers(0, w + 1, size=p)
    messages = rng.poisson(rng.uniform(0, 6, size=(p, 1)), size=(p, w)).astype(float)
    messages = np.where(np.arange(w)[None, :] < lengths[:, None], messages, np.nan)
    co_agreed = rng.choice([np.nan, 0.0, 1.0], size=p)
    return BatchInput(
        goal=goal,
        task=task,
        bond=bond,
        therapist_goal=rating(0.4),
        therapist_task=rating(0.4),
        therapist_bond=rating(0.4),
        outcomes={"phq9": outcome(27, True), "gad7": outcome(21, False)},
        attendance=codes,
        late_minutes=late,
        skipped=skipped,
        messages=messages,
        goals_co_agreed=co_agreed,
        goals_sessions=rng.integers(0, s + 1, size=p),
        intake_positive=rng.random(p) < 0.02,
        crisis_flags=(rng.random(p) < 0.01).astype(np.int64),
    )
