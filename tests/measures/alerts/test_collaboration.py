from __future__ import annotations

from alliance.measures.alerts import (
    CheckIn,
    ClientHistory,
    GoalsStatus,
    Pillar,
    RuleConfig,
    Severity,
    collaboration,
)

from .helpers import checkins

CONFIG = RuleConfig()


def test_low_task_fires_with_task_pillar():
    [alert] = collaboration.check(ClientHistory(checkins=checkins(task=[0.5])), CONFIG)
    assert alert.pillar is Pillar.TASK
    assert alert.severity is Severity.MEDIUM


def test_falling_goal_fires():
    history = ClientHistory(checkins=checkins(goal=[0.95, 0.85, 0.7]))
    [alert] = collaboration.check(history, CONFIG)
    assert alert.pillar is Pillar.GOAL
    assert "fell" in alert.explanation


def test_goals_never_agreed_after_n_sessions_fires():
    history = ClientHistory(goals=GoalsStatus(co_agreed=False, sessions_since_start=3))
    [alert] = collaboration.check(history, CONFIG)
    assert alert.pillar is Pillar.GOAL


def test_goals_not_yet_agreed_early_does_not_fire():
    early = ClientHistory(goals=GoalsStatus(co_agreed=False, sessions_since_start=2))
    agreed = ClientHistory(goals=GoalsStatus(co_agreed=True, sessions_since_start=9))
    assert collaboration.check(early, CONFIG) == []
    assert collaboration.check(agreed, CONFIG) == []


def test_perspective_gap_fires_on_latest_jointly_rated_checkin():
    history = ClientHistory(
        checkins=(
            CheckIn(1, goal=0.9, task=0.9, bond=0.9, therapist_bond=0.9),
            CheckIn(2, goal=0.8, task=0.8, bond=0.7, therapist_bond=1.0, therapist_goal=0.8),
        )
    )
    [alert] = collaboration.check(history, CONFIG)
    assert alert.pillar is Pillar.BOND
    assert alert.evidence[0].value == 1.0 - 0.7


def test_small_gap_does_not_fire():
    history = ClientHistory(
        checkins=(CheckIn(1, goal=0.8, task=0.8, bond=0.8, therapist_goal=0.95),)
    )
    assert collaboration.check(history, CONFIG) == []


def test_two_signals_are_high():
    history = ClientHistory(checkins=checkins(goal=[0.5]), goals=GoalsStatus(False, 5))
    [alert] = collaboration.check(history, CONFIG)
    assert alert.severity is Severity.HIGH


def test_good_collaboration_does_not_fire():
    history = ClientHistory(
        checkins=checkins(goal=[0.8, 0.85, 0.9], task=[0.75, 0.8, 0.8]),
        goals=GoalsStatus(True, 3),
    )
    assert collaboration.check(history, CONFIG) == []
