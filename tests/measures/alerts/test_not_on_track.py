from __future__ import annotations

from alliance.measures.alerts import ClientHistory, OutcomePoint, RuleConfig, Severity, not_on_track

CONFIG = RuleConfig()


def phq9(session: int, total: float, on_track: bool | None) -> OutcomePoint:
    return OutcomePoint("phq9", session, total, on_track=on_track)


def test_latest_off_track_fires_medium():
    history = ClientHistory(outcomes=(phq9(1, 18, None), phq9(3, 17, True), phq9(5, 17, False)))
    [alert] = not_on_track.check(history, CONFIG)
    assert alert.severity is Severity.MEDIUM
    assert alert.session == 5


def test_two_consecutive_off_track_is_high():
    history = ClientHistory(outcomes=(phq9(1, 18, None), phq9(3, 19, False), phq9(5, 19, False)))
    [alert] = not_on_track.check(history, CONFIG)
    assert alert.severity is Severity.HIGH


def test_back_on_track_does_not_fire():
    history = ClientHistory(outcomes=(phq9(1, 18, None), phq9(3, 19, False), phq9(5, 12, True)))
    assert not_on_track.check(history, CONFIG) == []


def test_points_without_verdict_are_skipped():
    # the latest point has no verdict yet; the last verdict (off track) still counts
    history = ClientHistory(outcomes=(phq9(1, 18, False), phq9(3, 19, None)))
    assert len(not_on_track.check(history, CONFIG)) == 1


def test_any_instrument_off_track_fires():
    history = ClientHistory(
        outcomes=(phq9(3, 8, True), OutcomePoint("gad7", 3, 15, on_track=False))
    )
    [alert] = not_on_track.check(history, CONFIG)
    assert alert.evidence[0].label == "gad7 total"


def test_no_outcomes_does_nothing():
    assert not_on_track.check(ClientHistory(), CONFIG) == []
