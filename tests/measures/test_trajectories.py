from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.measures import get_instrument
from alliance.measures.trajectories import (
    TrackStatus,
    TrajectoryPrior,
    fit_for_instrument,
    fit_trajectories,
)

PHQ9 = get_instrument("phq9")


def _history(
    clients: int, drop_per_session: float, intake: int = 18
) -> list[tuple[str, int, float]]:
    rows = []
    for c in range(clients):
        for k in range(1, 11):
            rows.append((f"c{c}", k, max(0.0, intake - drop_per_session * (k - 1) + (c % 3 - 1))))
    return rows


def test_without_history_the_prior_log_linear_decline_is_used():
    model = fit_for_instrument(PHQ9, [])
    got = model.expected(18, 12)
    # prior: 40% of the gap to 0 is closed by session 12
    assert got.expected == pytest.approx(18 * 0.6)
    assert got.clients == 0 and got.weight == 0
    assert got.lower < got.expected < got.upper


def test_with_plenty_of_history_the_practice_mean_change_dominates():
    # given 400 clients starting at 17-19 who drop one point per session
    model = fit_for_instrument(PHQ9, _history(400, 1.0))
    # when
    got = model.expected(18, 6)
    # then: expected about 18 - 5 = 13, mostly from the practice's data
    assert got.expected == pytest.approx(13, abs=0.3)
    assert got.weight > 0.9


def test_sparse_bins_blend_practice_and_prior_by_evidence():
    few = fit_for_instrument(PHQ9, _history(5, 1.0)).expected(18, 6)
    many = fit_for_instrument(PHQ9, _history(200, 1.0)).expected(18, 6)
    prior = fit_for_instrument(PHQ9, []).expected(18, 6)
    assert 0 < few.weight < many.weight < 1
    assert min(prior.expected, many.expected) < few.expected < max(prior.expected, many.expected)


def test_scores_worse_than_the_band_are_off_track():
    model = fit_for_instrument(PHQ9, _history(400, 1.0))
    band = model.expected(18, 6)
    assert model.classify(18, 6, band.upper + 1) is TrackStatus.OFF_TRACK
    assert model.classify(18, 6, band.expected) is TrackStatus.ON_TRACK
    assert model.classify(18, 6, 0) is TrackStatus.ON_TRACK  # better than expected is fine


def test_higher_is_better_scales_are_off_track_below_the_band():
    model = fit_trajectories([], score_min=0, score_max=6, lower_is_better=False)
    band = model.expected(3, 5)
    assert band.expected > 3
    assert model.classify(3, 5, band.lower - 0.5) is TrackStatus.OFF_TRACK


def test_intake_is_the_earliest_session_of_each_client():
    rows = [("a", 3, 10.0), ("a", 1, 20.0), ("a", 2, 15.0)]
    model = fit_trajectories(rows, score_min=0, score_max=27, bin_width=3, prior_strength=1)
    assert model.counts[20 // 3, 3] == 1
    assert model.mean_change[20 // 3, 3] == pytest.approx(-10)


def test_column_arrays_give_the_same_fit_as_rows():
    rows = _history(30, 0.5)
    clients, sessions, scores = zip(*rows, strict=True)
    a = fit_for_instrument(PHQ9, rows)
    b = fit_for_instrument(PHQ9, (np.array(clients), np.array(sessions), np.array(scores)))
    assert np.array_equal(a.counts, b.counts)
    assert np.allclose(np.nan_to_num(a.mean_change), np.nan_to_num(b.mean_change))


def test_scores_outside_the_range_are_rejected():
    with pytest.raises(ValueError, match="within 0 to 27"):
        fit_for_instrument(PHQ9, [("a", 1, 30.0)])


def test_a_custom_prior_is_used():
    prior = TrajectoryPrior(best=0, sd=2, improvement_fraction=0.5, reference_session=4)
    got = fit_for_instrument(PHQ9, [], prior=prior).expected(20, 4)
    assert got.expected == pytest.approx(10)


def test_fitting_a_large_practice_works_with_column_arrays():
    rng = np.random.default_rng(7)
    clients = np.repeat(np.arange(20_000), 20)
    sessions = np.tile(np.arange(1, 21), 20_000)
    scores = rng.integers(0, 28, len(clients)).astype(float)
    model = fit_for_instrument(PHQ9, (clients, sessions, scores))
    assert model.counts.sum() == 20_000 * 19


@settings(max_examples=100, deadline=None)
@given(
    intake=st.integers(0, 27),
    session=st.integers(1, 30),
    drop=st.floats(0, 2),
)
def test_expected_and_band_stay_within_the_score_range(intake, session, drop):
    model = fit_for_instrument(PHQ9, _history(20, drop))
    got = model.expected(intake, session)
    assert 0 <= got.lower <= got.expected <= got.upper <= 27
