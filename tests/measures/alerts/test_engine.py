from __future__ import annotations

import dataclasses

import pytest

from alliance.measures.alerts import (
    AlertKind,
    CheckIn,
    ClientHistory,
    OutcomePoint,
    Severity,
    evaluate,
    pomp,
)

from .helpers import checkins


def test_empty_history_raises_nothing():
    assert evaluate(ClientHistory()) == []


def test_alerts_come_highest_severity_first_with_safety_on_top():
    history = ClientHistory(
        checkins=checkins(goal=[0.5, 0.5, 0.5], task=[0.5] * 3, bond=[0.9, 0.9, 0.55]),
        outcomes=(OutcomePoint("phq9", 1, 4, item9=1), OutcomePoint("phq9", 3, 12, item9=0)),
    )
    alerts = evaluate(history)
    ranks = [a.severity.rank for a in alerts]
    assert ranks == sorted(ranks, reverse=True)
    assert alerts[0].kind is AlertKind.SAFETY
    assert {AlertKind.BOND, AlertKind.COLLABORATION, AlertKind.CHECKPOINT} <= {
        a.kind for a in alerts
    }


def test_alerts_are_frozen_and_carry_repair_actions():
    [alert] = evaluate(ClientHistory(intake_screen_positive=True))
    assert alert.severity is Severity.CRITICAL
    assert alert.repair_actions
    with pytest.raises(dataclasses.FrozenInstanceError):
        alert.severity = Severity.LOW  # type: ignore[misc]


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="0–1 scale"):
        CheckIn(2, bond=4.0)
    with pytest.raises(ValueError, match="share a session"):
        ClientHistory(checkins=(CheckIn(1, bond=0.5), CheckIn(1, bond=0.6)))
    with pytest.raises(ValueError, match="item 9"):
        OutcomePoint("phq9", 1, 10, item9=4)


def test_pomp_maps_a_subscale_onto_the_common_scale():
    assert pomp(12, 4, 20) == 0.5
    with pytest.raises(ValueError):
        pomp(21, 4, 20)
