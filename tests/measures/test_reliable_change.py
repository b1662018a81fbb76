from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.measures import get_instrument
from alliance.measures.change import (
    ChangeClass,
    change_for,
    classify_change,
    clinical_cutoffs,
    nhs_talking_therapies,
    rci,
    reliable_change_threshold,
    reliable_threshold_for,
)


def test_rci_follows_jacobson_truax_formula():
    # Jacobson & Truax 1991: SE = SD * sqrt(1 - r), S_diff = sqrt(2) * SE, RC = diff / S_diff.
    # Worked by hand: SD 7.5, r .80 -> SE 3.354, S_diff 4.743; 10-point drop -> RC -2.108.
    assert rci(30, 20, sd=7.5, reliability=0.80) == pytest.approx(-2.108, abs=1e-3)
    assert reliable_change_threshold(sd=7.5, reliability=0.80) == pytest.approx(9.297, abs=1e-3)
    assert reliable_change_threshold(sd=7.5, reliability=0.80, z=1.645) == pytest.approx(
        7.803, abs=1e-3
    )


def test_phq9_and_gad7_reference_values_reproduce_the_nhs_whole_point_criteria():
    # Smallest reliable whole-number change must be 6 (PHQ-9) and 4 (GAD-7).
    phq9 = reliable_threshold_for(get_instrument("phq9"))
    gad7 = reliable_threshold_for(get_instrument("gad7"))
    assert 5 < phq9 < 6
    assert 3 < gad7 < 4


def test_clinical_cutoffs_a_b_c():
    # Jacobson & Truax 1991: a = M_clin - 2 SD_clin, b = M_norm + 2 SD_norm,
    # c = (SD_norm * M_clin + SD_clin * M_norm) / (SD_norm + SD_clin).
    cut = clinical_cutoffs(mean_clin=18.0, sd_clin=5.0, mean_norm=4.0, sd_norm=3.0)
    assert cut.a == pytest.approx(8.0)
    assert cut.b == pytest.approx(10.0)
    assert cut.c == pytest.approx((3 * 18 + 5 * 4) / 8)


def test_clinical_cutoffs_without_norms_give_only_a():
    cut = clinical_cutoffs(mean_clin=18.0, sd_clin=5.0)
    assert (cut.a, cut.b, cut.c) == (8.0, None, None)


def test_clinical_cutoffs_for_higher_is_better_scales_point_upwards():
    cut = clinical_cutoffs(mean_clin=20, sd_clin=4, mean_norm=32, sd_norm=3, lower_is_better=False)
    assert (cut.a, cut.b) == (28, 26)


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (18, 7, ChangeClass.RECOVERED),  # reliable drop, crosses 10
        (24, 12, ChangeClass.IMPROVED),  # reliable drop, still >= 10
        (18, 13, ChangeClass.UNCHANGED),  # 5 points is not reliable
        (8, 14, ChangeClass.DETERIORATED),
        (9, 2, ChangeClass.IMPROVED),  # never a case, so not "recovered"
    ],
)
def test_classify_change_on_phq9(pre, post, expected):
    assert classify_change(pre, post, sd=6.0, reliability=0.89, cutoff=10) is expected


def test_classify_change_for_higher_is_better_scale():
    got = classify_change(20, 30, sd=5, reliability=0.9, cutoff=25, lower_is_better=False)
    assert got is ChangeClass.RECOVERED


def test_change_class_values_are_plain_strings():
    assert [c.value for c in ChangeClass] == ["recovered", "improved", "unchanged", "deteriorated"]


def test_change_for_reads_reference_values_from_the_instrument():
    result = change_for(get_instrument("phq9"), 18, 7)
    assert result.classification is ChangeClass.RECOVERED
    assert result.reliable_95 and result.reliable_90
    assert result.cutoff == 10


def test_change_for_needs_reference_values_for_the_checkin():
    with pytest.raises(ValueError, match="no reference SD"):
        change_for(get_instrument("alliance_checkin"), 3, 5)
    got = change_for(get_instrument("alliance_checkin"), 3, 5, sd=1.0, reliability=0.8)
    assert got.classification is ChangeClass.IMPROVED  # higher is better


def test_change_for_rejects_totals_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        change_for(get_instrument("gad7"), 22, 3)


def test_nhs_reliable_recovery():
    outcome = nhs_talking_therapies(18, 7, 14, 5)
    assert outcome.caseness_first and not outcome.caseness_last
    assert outcome.recovery and outcome.reliable_improvement and outcome.reliable_recovery


def test_nhs_caseness_thresholds_are_phq9_above_9_or_gad7_above_7():
    assert not nhs_talking_therapies(9, 9, 7, 7).caseness_first
    assert nhs_talking_therapies(10, 0, 0, 0).caseness_first
    assert nhs_talking_therapies(0, 0, 8, 0).caseness_first


def test_nhs_recovery_without_reliable_improvement():
    # Just over caseness to just under it: recovered, but not reliably.
    outcome = nhs_talking_therapies(11, 8, 9, 7)
    assert outcome.recovery and not outcome.reliable_improvement and not outcome.reliable_recovery


def test_nhs_reliable_improvement_is_cancelled_by_deterioration_on_the_other_measure():
    outcome = nhs_talking_therapies(20, 14, 5, 9)
    assert outcome.reliable_deterioration
    assert not outcome.reliable_improvement


def test_nhs_improvement_needs_six_phq9_or_four_gad7_points():
    assert not nhs_talking_therapies(20, 15, 12, 9).reliable_improvement
    assert nhs_talking_therapies(20, 14, 12, 12).reliable_improvement
    assert nhs_talking_therapies(20, 20, 12, 8).reliable_improvement


def test_nhs_rejects_out_of_range_totals():
    with pytest.raises(ValueError, match="phq9_first"):
        nhs_talking_therapies(28, 0, 0, 0)


finite = st.floats(min_value=0, max_value=60, allow_nan=False)
sds = st.floats(min_value=0.5, max_value=20)
rels = st.floats(min_value=0.0, max_value=0.99)


@settings(max_examples=100)
@given(pre=finite, post=finite, sd=sds, r=rels)
def test_rci_is_antisymmetric(pre, post, sd, r):
    assert rci(pre, post, sd=sd, reliability=r) == pytest.approx(
        -rci(post, pre, sd=sd, reliability=r)
    )


@settings(max_examples=100)
@given(pre=finite, post=finite, sd=sds, r=rels)
def test_swapping_pre_and_post_swaps_improved_and_deteriorated(pre, post, sd, r):
    forward = classify_change(pre, post, sd=sd, reliability=r, cutoff=None)
    backward = classify_change(post, pre, sd=sd, reliability=r, cutoff=None)
    mirror = {
        ChangeClass.IMPROVED: ChangeClass.DETERIORATED,
        ChangeClass.DETERIORATED: ChangeClass.IMPROVED,
        ChangeClass.UNCHANGED: ChangeClass.UNCHANGED,
    }
    assert backward is mirror[forward]


@settings(max_examples=100)
@given(sd=sds, r1=rels, r2=rels)
def test_higher_reliability_never_raises_the_threshold(sd, r1, r2):
    low, high = sorted((r1, r2))
    assert (
        reliable_change_threshold(sd=sd, reliability=high)
        <= reliable_change_threshold(sd=sd, reliability=low) + 1e-12
    )


@settings(max_examples=100)
@given(pre=finite, post=finite, sd=sds, r=rels)
def test_reliable_exactly_when_the_difference_exceeds_the_threshold(pre, post, sd, r):
    threshold = reliable_change_threshold(sd=sd, reliability=r)
    diff = abs(post - pre)
    if not math.isclose(diff, threshold, rel_tol=1e-9):
        assert (abs(rci(pre, post, sd=sd, reliability=r)) > 1.96) == (diff > threshold)


@settings(max_examples=100)
@given(p1=st.integers(0, 27), p2=st.integers(0, 27), g1=st.integers(0, 21), g2=st.integers(0, 21))
def test_nhs_reliable_recovery_implies_recovery_and_reliable_improvement(p1, p2, g1, g2):
    outcome = nhs_talking_therapies(p1, p2, g1, g2)
    assert outcome.reliable_recovery == (outcome.recovery and outcome.reliable_improvement)
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
