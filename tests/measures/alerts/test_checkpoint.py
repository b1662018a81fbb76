from __future__ import annotations

from alliance.measures.alerts import AlertKind, ClientHistory, Pillar, RuleConfig, checkpoint

from .helpers import checkins

CONFIG = RuleConfig()


def test_weak_mean_at_session_three_fires():
    history = ClientHistory(
        checkins=checkins(goal=[0.9, 0.7, 0.65], task=[0.9, 0.7, 0.7], bond=[0.9, 0.7, 0.7])
    )
    [alert] = checkpoint.check(history, CONFIG)
    assert alert.kind is AlertKind.CHECKPOINT
    assert alert.session == 3
    assert alert.pillar is Pillar.GOAL
    assert "switch" in alert.client_prompt


def test_one_weak_subscale_fires():
    history = ClientHistory(checkins=checkins(goal=[0.9] * 3, task=[0.9] * 3, bond=[0.9, 0.9, 0.5]))
    [alert] = checkpoint.check(history, CONFIG)
    assert alert.pillar is Pillar.BOND


def test_strong_alliance_at_session_three_does_not_fire():
    history = ClientHistory(checkins=checkins(goal=[0.5, 0.8, 0.8], task=[0.8] * 3, bond=[0.9] * 3))
    assert checkpoint.check(history, CONFIG) == []


def test_before_session_three_does_not_fire():
    history = ClientHistory(checkins=checkins(goal=[0.2, 0.2], task=[0.2, 0.2], bond=[0.2, 0.2]))
    assert checkpoint.check(history, CONFIG) == []


def test_skipped_session_three_uses_the_next_checkin():
    history = ClientHistory(checkins=checkins(goal=[0.6], task=[0.6], bond=[0.6], start=4))
    [alert] = checkpoint.check(history, CONFIG)
    assert alert.session == 4


def test_checkin_after_session_five_is_too_late():
    history = ClientHistory(checkins=checkins(goal=[0.6], task=[0.6], bond=[0.6], start=6))
    assert checkpoint.check(history, CONFIG) == []


def test_later_good_ratings_do_not_erase_the_checkpoint():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.5, 0.9, 0.9]))
    [alert] = checkpoint.check(history, CONFIG)
    assert alert.session == 3
