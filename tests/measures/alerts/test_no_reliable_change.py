from __future__ import annotations

from alliance.measures.alerts import ClientHistory, OutcomePoint, RuleConfig, no_reliable_change

CONFIG = RuleConfig()


def history(*points: tuple[str, int, float]) -> ClientHistory:
    return ClientHistory(outcomes=tuple(OutcomePoint(i, s, t) for i, s, t in points))


def test_case_with_no_reliable_change_after_n_sessions_fires():
    h = history(("phq9", 1, 16), ("phq9", 4, 14), ("phq9", 6, 12))
    [alert] = no_reliable_change.check(h, CONFIG)
    assert alert.session == 6


def test_too_early_does_not_fire():
    h = history(("phq9", 1, 16), ("phq9", 4, 14))
    assert no_reliable_change.check(h, CONFIG) == []


def test_non_case_at_start_does_not_fire():
    # PHQ-9 caseness is > 9 (NHS Talking Therapies)
    h = history(("phq9", 1, 9), ("phq9", 8, 9))
    assert no_reliable_change.check(h, CONFIG) == []


def test_reliable_improvement_does_not_fire():
    h = history(("phq9", 1, 16), ("phq9", 8, 10))  # drop of 6 = reliable on PHQ-9
    assert no_reliable_change.check(h, CONFIG) == []


def test_reliable_deterioration_is_left_to_its_own_rule():
    h = history(("phq9", 1, 12), ("phq9", 8, 18))
    assert no_reliable_change.check(h, CONFIG) == []


def test_gad7_uses_its_own_thresholds():
    stuck = history(("gad7", 1, 8), ("gad7", 8, 5))  # caseness > 7, drop 3 < 4
    better = history(("gad7", 1, 8), ("gad7", 8, 4))
    assert len(no_reliable_change.check(stuck, CONFIG)) == 1
    assert no_reliable_change.check(better, CONFIG) == []


def test_unconfigured_instrument_is_ignored():
    assert no_reliable_change.check(history(("core10", 1, 30), ("core10", 9, 30)), CONFIG) == []
