"""Batch recompute of every alert flag for a practice: 100,000 partnerships x 20 sessions.

The baseline is the straightforward way: build each partnership's history and call the
per-history ``evaluate`` in a Python loop. It is timed on a subsample and extrapolated
linearly (the loop is per row, so its cost is linear in rows); the batch result is checked
against the loop on that subsample before anything is printed.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from _common import emit

from alliance.measures.alerts import RuleConfig, evaluate, risk
from alliance.measures.alerts.batch import evaluate_batch, history_from_row
from alliance.measures.alerts.budget import Budget
from alliance.measures.alerts.synthetic import random_practice

PARTNERSHIPS, SESSIONS, SUBSAMPLE, REPEATS = 100_000, 20, 10_000, 5


def main() -> None:
    config = RuleConfig()
    data = random_practice(np.random.default_rng(2024), PARTNERSHIPS, SESSIONS)
    evaluate_batch(data, config)  # warm up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = evaluate_batch(data, config)
        times.append(time.perf_counter() - start)
    value = statistics.median(times)

    histories = [history_from_row(data, p) for p in range(SUBSAMPLE)]
    start = time.perf_counter()
    looped = [evaluate(h, config) for h in histories]
    loop_seconds = time.perf_counter() - start
    for p, alerts in enumerate(looped):
        expected = {a.kind: a.severity for a in alerts}
        if result.row(p) != expected:
            raise SystemExit(f"batch and per-history evaluation disagree on row {p}")
    baseline = loop_seconds * PARTNERSHIPS / SUBSAMPLE

    emit(
        "alerts.recompute",
        "seconds",
        round(value, 4),
        "s",
        {"partnerships": PARTNERSHIPS, "sessions": SESSIONS},
        baseline=round(baseline, 3),
        baseline_extrapolated_from=SUBSAMPLE,
        runs=REPEATS,
        min=round(min(times), 4),
        alerts_per_partnership=round(float((result.severity > 0).sum(axis=1).mean()), 3),
    )

    # One risk per client: the whole practice in one set of arrays, against assessing each
    # history on its own (what a loop over partnerships would do).
    risk.assess_batch(data, config)  # warm up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        risks = risk.assess_batch(data, config)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    one_by_one = [risk.assess(h, config).probability for h in histories[:SUBSAMPLE]]
    loop_seconds = time.perf_counter() - start
    if any(round(float(risks[p]), 4) != one_by_one[p] for p in range(SUBSAMPLE)):
        raise SystemExit("batch and per-history risks disagree")
    emit(
        "alerts.risk",
        "seconds",
        round(statistics.median(times), 4),
        "s",
        {"partnerships": PARTNERSHIPS, "sessions": SESSIONS},
        baseline=round(loop_seconds * PARTNERSHIPS / SUBSAMPLE, 3),
        baseline_extrapolated_from=SUBSAMPLE,
        runs=REPEATS,
        min=round(min(times), 4),
        flagged_at_open_threshold=round(float((risks >= Budget().open_at).mean()), 3),
    )


if __name__ == "__main__":
    main()
