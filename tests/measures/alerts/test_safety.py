from __future__ import annotations

from alliance.measures.alerts import (
    ClientHistory,
    CrisisFlag,
    CrisisSource,
    OutcomePoint,
    Pillar,
    RuleConfig,
    Severity,
    evaluate,
    safety,
)

CONFIG = RuleConfig()


def test_item9_positive_at_low_total_fires_critical():
    history = ClientHistory(outcomes=(OutcomePoint("phq9", 2, 3, item9=1),))
    [alert] = safety.check(history, CONFIG)
    assert alert.severity is Severity.CRITICAL
    assert alert.pillar is Pillar.SAFETY
    assert alert.session == 2
    assert "not a verdict" in alert.explanation


def test_item9_zero_at_high_total_does_not_fire():
    history = ClientHistory(outcomes=(OutcomePoint("phq9", 2, 24, item9=0),))
    assert safety.check(history, CONFIG) == []


def test_positive_intake_screen_fires():
    assert len(safety.check(ClientHistory(intake_screen_positive=True), CONFIG)) == 1
    assert safety.check(ClientHistory(intake_screen_positive=False), CONFIG) == []


def test_crisis_language_in_a_message_fires():
    flag = CrisisFlag(CrisisSource.MESSAGE, ("kill myself",), session=4)
    [alert] = safety.check(ClientHistory(crisis_flags=(flag,)), CONFIG)
    assert alert.evidence[0].value == "kill myself"


def test_safety_comes_first_and_client_prompt_points_to_help():
    history = ClientHistory(
        outcomes=(OutcomePoint("phq9", 1, 8, item9=2), OutcomePoint("phq9", 3, 20, item9=0)),
    )
    alerts = evaluate(history, CONFIG)
    assert alerts[0].kind.value == "safety"
    assert "not monitored around the clock" in alerts[0].client_prompt


def test_nothing_to_report_does_nothing():
    assert safety.check(ClientHistory(), CONFIG) == []
