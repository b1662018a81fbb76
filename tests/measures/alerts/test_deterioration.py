from __future__ import annotations

from alliance.measures.alerts import (
    ClientHistory,
    InstrumentThresholds,
    OutcomeConfig,
    OutcomePoint,
    Pillar,
    RuleConfig,
    Severity,
    deterioration,
)

CONFIG = RuleConfig()


def history(*points: tuple[str, int, float]) -> ClientHistory:
    return ClientHistory(outcomes=tuple(OutcomePoint(i, s, t) for i, s, t in points))


def test_reliable_worsening_fires_high():
    [alert] = deterioration.check(history(("phq9", 1, 8), ("phq9", 3, 14)), CONFIG)
    assert alert.severity is Severity.HIGH
    assert alert.pillar is Pillar.OUTCOME
    assert alert.session == 3


def test_worsening_below_threshold_does_not_fire():
    assert deterioration.check(history(("phq9", 1, 8), ("phq9", 3, 13)), CONFIG) == []


def test_first_to_latest_not_peak():
    # a worse score in between that came back is not a current deterioration
    h = history(("phq9", 1, 8), ("phq9", 3, 16), ("phq9", 5, 9))
    assert deterioration.check(h, CONFIG) == []


def test_improvement_does_not_fire():
    assert deterioration.check(history(("gad7", 1, 15), ("gad7", 5, 5)), CONFIG) == []


def test_higher_is_better_instrument():
    config = RuleConfig(
        outcome=OutcomeConfig(
            instruments={"ors": InstrumentThresholds(5, 25, lower_is_better=False)}
        )
    )
    assert len(deterioration.check(history(("ors", 1, 30), ("ors", 4, 24)), config)) == 1
    assert deterioration.check(history(("ors", 1, 20), ("ors", 4, 30)), config) == []


def test_jacobson_truax_thresholds():
    # 1.96 * sqrt(2) * 5 * sqrt(1 - .89) = 4.6 points
    t = InstrumentThresholds.jacobson_truax(sd=5, reliability=0.89, caseness_at=10)
    assert round(t.reliable_change, 1) == 4.6


def test_single_score_does_nothing():
    assert deterioration.check(history(("phq9", 1, 27)), CONFIG) == []
