from __future__ import annotations

from alliance.measures.alerts import BondConfig, ClientHistory, Pillar, RuleConfig, Severity, bond

from .helpers import checkins

CONFIG = RuleConfig()


def test_weak_band_fires():
    alerts = bond.check(ClientHistory(checkins=checkins(bond=[0.55])), CONFIG)
    assert len(alerts) == 1
    assert alerts[0].pillar is Pillar.BOND
    assert alerts[0].severity is Severity.MEDIUM
    assert alerts[0].session == 1


def test_weak_band_comes_from_practice_percentile():
    history = ClientHistory(checkins=checkins(bond=[0.7]))
    assert bond.check(history, CONFIG) == []
    practice = RuleConfig(bond=BondConfig(weak_at_or_below=0.75))
    assert len(bond.check(history, practice)) == 1


def test_drop_from_own_baseline_fires():
    history = ClientHistory(checkins=checkins(bond=[0.85, 0.85, 0.7]))
    [alert] = bond.check(history, CONFIG)
    assert "0.85" in alert.explanation
    assert alert.session == 3


def test_small_drop_from_ceiling_fires_but_not_from_the_middle():
    from_ceiling = ClientHistory(checkins=checkins(bond=[1.0, 1.0, 0.9]))
    from_middle = ClientHistory(checkins=checkins(bond=[0.8, 0.8, 0.7]))
    assert len(bond.check(from_ceiling, CONFIG)) == 1
    assert bond.check(from_middle, CONFIG) == []


def test_weak_and_dropping_is_high():
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.5]))
    [alert] = bond.check(history, CONFIG)
    assert alert.severity is Severity.HIGH


def test_stable_good_bond_does_not_fire():
    history = ClientHistory(checkins=checkins(bond=[0.8, 0.9, 0.85, 0.9]))
    assert bond.check(history, CONFIG) == []


def test_recovered_bond_does_not_fire():
    # only the latest rating counts: an earlier dip that recovered is not current
    history = ClientHistory(checkins=checkins(bond=[0.9, 0.9, 0.5, 0.9]))
    assert bond.check(history, CONFIG) == []


def test_no_bond_data_does_nothing():
    assert bond.check(ClientHistory(), CONFIG) == []
    assert bond.check(ClientHistory(checkins=checkins(goal=[0.1])), CONFIG) == []
