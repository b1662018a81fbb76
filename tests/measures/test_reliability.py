from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from alliance.measures import get_instrument
from alliance.measures.reliability import alpha_for, cronbach_alpha, percentile_bands

CHECKIN = get_instrument("alliance_checkin")


def test_identical_items_have_alpha_one():
    column = np.array([[1.0], [2.0], [4.0], [5.0]])
    assert cronbach_alpha(np.hstack([column] * 4)).alpha == pytest.approx(1.0)


def test_alpha_matches_the_textbook_formula():
    # alpha = k/(k-1) * (1 - sum(item variances) / variance(total)) (Cronbach 1951)
    data = np.array([[3, 4, 3], [5, 5, 4], [2, 3, 2], [4, 4, 5], [1, 2, 2]], dtype=float)
    k = 3
    expected = k / (k - 1) * (1 - data.var(axis=0, ddof=1).sum() / data.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(data).alpha == pytest.approx(expected)


def test_feldt_interval_uses_the_f_distribution():
    # Feldt 1965: bounds are 1 - (1 - alpha) * F quantiles with (n - 1), (n - 1)(k - 1) df.
    rng = np.random.default_rng(3)
    data = rng.normal(size=(50, 1)) + rng.normal(scale=0.7, size=(50, 4))
    got = cronbach_alpha(data)
    assert got.lower == pytest.approx(1 - (1 - got.alpha) * stats.f.ppf(0.975, 49, 147))
    assert got.upper == pytest.approx(1 - (1 - got.alpha) * stats.f.ppf(0.025, 49, 147))
    assert got.lower < got.alpha < got.upper


def test_interval_narrows_with_more_respondents():
    rng = np.random.default_rng(4)
    big = rng.normal(size=(2000, 1)) + rng.normal(scale=0.8, size=(2000, 6))
    small = cronbach_alpha(big[:40])
    large = cronbach_alpha(big)
    assert large.upper - large.lower < small.upper - small.lower


def test_incomplete_responses_are_dropped_listwise():
    data = np.array([[1, 2], [2, 3], [3, 3], [np.nan, 1], [4, 5]], dtype=float)
    assert cronbach_alpha(data).respondents == 4


def test_alpha_rejects_too_little_data():
    with pytest.raises(ValueError, match="three complete"):
        cronbach_alpha([[1, 2], [2, 3]])
    with pytest.raises(ValueError, match="two items"):
        cronbach_alpha([[1], [2], [3]])


def test_alpha_for_checkin_subscale_from_responses():
    responses = [
        {"bond_1": v, "bond_2": min(6, v + d)} for v, d in [(2, 0), (4, 1), (5, 1), (6, 0), (3, 1)]
    ]
    got = alpha_for(CHECKIN, responses, subscale="bond")
    assert got.items == 2 and got.respondents == 5
    assert got.alpha > 0.8


def test_checkin_bands_use_the_prior_when_nobody_has_rated():
    bands = percentile_bands(CHECKIN, [])
    assert bands.basis == "prior"
    assert [c.below for c in bands.cuts] == [3.5, 4.5, None]
    assert bands.band(3.0) == "low"
    assert bands.band(4.0) == "below_typical"
    assert bands.band(5.5) == "typical"


def test_checkin_bands_come_from_the_practice_once_200_clients_rated():
    rng = np.random.default_rng(5)
    ratings = [(f"c{i}", float(s)) for i, s in enumerate(rng.uniform(0, 6, 400))]
    bands = percentile_bands(CHECKIN, ratings)
    assert bands.basis == "practice" and bands.clients == 400
    assert bands.cuts[0].below == pytest.approx(0.6, abs=0.2)
    assert bands.cuts[1].below == pytest.approx(1.5, abs=0.25)


def test_checkin_bands_blend_by_the_number_of_clients():
    ratings = [(f"c{i}", 2.0) for i in range(50)]  # 50 of 200 clients: weight 0.25
    bands = percentile_bands(CHECKIN, ratings)
    assert bands.basis == "blended"
    assert bands.practice_weight == pytest.approx(0.25)
    assert bands.cuts[0].below == pytest.approx(0.25 * 2.0 + 0.75 * 3.5)


def test_each_client_counts_once_in_the_practice_distribution():
    # one client rating 6 a hundred times must not outweigh 300 clients rating 1
    ratings = [("frequent", 6.0)] * 100 + [(f"c{i}", 1.0) for i in range(300)]
    bands = percentile_bands(CHECKIN, ratings)
    assert bands.cuts[1].practice_score == pytest.approx(1.0)


def test_percentile_bands_need_an_instrument_that_declares_them():
    with pytest.raises(ValueError, match="no percentile bands"):
        percentile_bands(get_instrument("phq9"), [])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 6), min_size=1, max_size=300))
def test_band_cut_points_stay_on_the_scale_and_in_order(scores):
    bands = percentile_bands(CHECKIN, [(i, s) for i, s in enumerate(scores)])
    low, below_typical = bands.cuts[0].below, bands.cuts[1].below
    assert low is not None and below_typical is not None
    assert 0 <= low <= below_typical <= 6
