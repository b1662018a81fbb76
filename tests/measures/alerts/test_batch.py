from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.measures.alerts import (
    Attendance,
    AttendanceEvent,
    CheckIn,
    ClientHistory,
    CrisisFlag,
    CrisisSource,
    GoalsStatus,
    OutcomePoint,
    RuleConfig,
    evaluate,
)
from alliance.measures.alerts.batch import evaluate_batch, history_from_row, to_batch
from alliance.measures.alerts.synthetic import random_practice

SESSIONS, WEEKS = 12, 8
CONFIG = RuleConfig()

grid = st.one_of(st.none(), st.integers(0, 20).map(lambda k: k / 20), st.floats(0, 1))


@st.composite
def histories(draw: st.DrawFn) -> ClientHistory:
    sessions = st.lists(st.integers(1, SESSIONS), unique=True, max_size=SESSIONS)
    checkins = tuple(CheckIn(s, None, *(draw(grid) for _ in range(6))) for s in draw(sessions))
    outcomes: list[OutcomePoint] = []
    for name, high in (("phq9", 27), ("gad7", 21)):
        for s in draw(st.lists(st.integers(1, SESSIONS), unique=True, max_size=6)):
            outcomes.append(
                OutcomePoint(
                    name,
                    s,
                    draw(st.integers(0, high)),
                    item9=draw(st.sampled_from([None, 0, 0, 1, 3])) if name == "phq9" else None,
                    on_track=draw(st.sampled_from([None, True, False])),
                )
            )
    attendance = tuple(
        AttendanceEvent(
            s, draw(st.sampled_from(list(Attendance))), draw(st.sampled_from([0, 10, 25]))
        )
        for s in draw(sessions)
    )
    goals = draw(st.one_of(st.none(), st.builds(GoalsStatus, st.booleans(), st.integers(0, 9))))
    return ClientHistory(
        checkins=checkins,
        outcomes=tuple(outcomes),
        attendance=attendance,
        messages_per_week=tuple(draw(st.lists(st.integers(0, 8), max_size=WEEKS))),
        skipped_checkins=tuple(draw(sessions)),
        goals=goals,
        intake_screen_positive=draw(st.sampled_from([None, False, True])),
        crisis_flags=tuple(
            CrisisFlag(CrisisSource.MESSAGE, ("want to die",))
            for _ in range(draw(st.integers(0, 1)))
        ),
    )


def per_history(history: ClientHistory) -> dict[str, str]:
    return {a.kind.value: a.severity.value for a in evaluate(history, CONFIG)}


def per_batch_row(result, p: int) -> dict[str, str]:
    return {k.value: s.value for k, s in result.row(p).items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=5))
def test_batch_agrees_with_evaluate_on_random_histories(hs):
    result = evaluate_batch(to_batch(hs, sessions=SESSIONS, weeks=WEEKS), CONFIG)
    for p, history in enumerate(hs):
        assert per_batch_row(result, p) == per_history(history)


def test_batch_agrees_with_evaluate_on_a_random_practice():
    data = random_practice(np.random.default_rng(7), 3000, sessions=20)
    result = evaluate_batch(data, CONFIG)
    mismatches = [
        p for p in range(3000) if per_batch_row(result, p) != per_history(history_from_row(data, p))
    ]
    assert mismatches == []
    # the random practice exercises every kind, so agreement is not vacuous
    assert (result.severity > 0).any(axis=0).all()


def test_round_trip_keeps_the_history():
    data = random_practice(np.random.default_rng(1), 50, sessions=10)
    rows = [history_from_row(data, p) for p in range(50)]
    again = to_batch(rows, sessions=10, weeks=10, instruments=data.outcomes)
    assert [history_from_row(again, p) for p in range(50)] == rows


def test_history_outside_the_arrays_is_refused():
    import pytest

    with pytest.raises(ValueError, match="session 13"):
        to_batch([ClientHistory(checkins=(CheckIn(13, bond=0.5),))], sessions=12, weeks=4)
