from __future__ import annotations

from alliance.measures.alerts import (
    AlertKind,
    AlertState,
    ClientHistory,
    Pillar,
    RuleConfig,
    Severity,
    evaluate,
    repaired,
)

from .helpers import checkins

CONFIG = RuleConfig()
RUPTURE = AlertState(
    AlertKind.BOND, Pillar.BOND, raised_session=3, acknowledged=True, repair_session=3
)


def test_back_to_baseline_for_two_checkins_is_repaired():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.6, 0.9, 0.88]))
    [alert] = repaired.check(history, CONFIG, [RUPTURE])
    assert alert.kind is AlertKind.REPAIRED
    assert alert.severity is Severity.INFO
    assert alert.session == 5


def test_a_single_return_is_not_yet_repaired():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.6, 0.9]))
    assert repaired.check(history, CONFIG, [RUPTURE]) == []


def test_return_that_does_not_hold_is_not_repaired():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.6, 0.9, 0.7]))
    assert repaired.check(history, CONFIG, [RUPTURE]) == []


def test_unacknowledged_or_unplanned_alert_is_not_repaired():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.6, 0.9, 0.9]))
    unacknowledged = AlertState(AlertKind.BOND, Pillar.BOND, 3, False, 3)
    no_plan = AlertState(AlertKind.BOND, Pillar.BOND, 3, True, None)
    assert repaired.check(history, CONFIG, [unacknowledged, no_plan]) == []


def test_checkins_before_the_repair_do_not_count():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.6, 0.9, 0.9]))
    late_plan = AlertState(AlertKind.BOND, Pillar.BOND, 3, True, repair_session=4)
    assert repaired.check(history, CONFIG, [late_plan]) == []


def test_safety_alerts_are_never_repaired_by_ratings():
    history = ClientHistory(checkins=checkins(bond=[0.9] * 6))
    state = AlertState(AlertKind.SAFETY, Pillar.SAFETY, 2, True, 2)
    assert repaired.check(history, CONFIG, [state]) == []


def test_evaluate_includes_repairs_when_given_states():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.6, 0.9, 0.88]))
    assert AlertKind.REPAIRED in {a.kind for a in evaluate(history, CONFIG, [RUPTURE])}
    assert AlertKind.REPAIRED not in {a.kind for a in evaluate(history, CONFIG)}
