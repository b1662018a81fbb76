from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.measures import ScoringError, get_instrument, score, score_positional
from alliance.measures.instrument import Instrument
from alliance.measures.schema import instrument_from_dict

from .madeup import twelve_item_alliance

PHQ9 = get_instrument("phq9")
GAD7 = get_instrument("gad7")
CHECKIN = get_instrument("alliance_checkin")


def test_phq9_total_and_band_follow_kroenke_2001():
    # Kroenke et al. 2001: 15-19 is moderately severe; >= 10 is caseness.
    result = score_positional(PHQ9, [3, 3, 3, 2, 2, 2, 1, 1, 0])
    assert result.total == 17
    assert result.band == "moderately_severe"
    assert result.caseness is True
    assert result.flags == ()
    assert result.prorated is False and result.missing == ()


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (9 - len(answers))
    assert score_positional(PHQ9, answers).band == band


def test_gad7_band_edges_follow_spitzer_2006():
    assert score_positional(GAD7, [1, 1, 1, 1, 1, 0, 0]).band == "mild"
    assert score_positional(GAD7, [2, 2, 2, 2, 2, 0, 0]).band == "moderate"
    assert score_positional(GAD7, [3, 3, 3, 3, 3, 0, 0]).band == "severe"


def test_gad7_caseness_is_above_seven_as_in_nhs_talking_therapies():
    assert score_positional(GAD7, [1, 1, 1, 1, 1, 1, 1]).caseness is False
    assert score_positional(GAD7, [2, 1, 1, 1, 1, 1, 1]).caseness is True


def test_phq9_item9_raises_a_critical_flag_whatever_the_total():
    result = score_positional(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.total == 1
    assert result.band == "minimal"
    assert result.flags == ("phq9_item9",)


def test_unanswered_item9_is_reported_as_critical_missing_not_as_a_flag():
    result = score_positional(PHQ9, [1, 1, 1, 1, 1, 1, 1, 1, None])
    assert result.flags == ()
    assert result.critical_missing == ("phq9_9",)


def test_missing_items_are_prorated_never_scored_as_zero():
    # 7 answered items summing to 14: 14 * 9 / 7 = 18 (a zero-fill would give 14).
    result = score_positional(PHQ9, [2, 2, 2, 2, 2, 2, 2, None, None])
    assert result.total == 18
    assert result.prorated is True
    assert result.missing == ("phq9_8", "phq9_9")


def test_prorated_half_points_round_up():
    # 8 answered summing to 12: 12 * 9 / 8 = 13.5 -> 14.
    result = score_positional(PHQ9, [3, 3, 3, 3, 0, 0, 0, 0, None])
    assert result.total == 14


def test_too_many_missing_items_is_an_error_naming_items_and_rule():
    with pytest.raises(ScoringError, match=r"phq9_7.*too many missing items: 3 of 9"):
        score_positional(PHQ9, [1, 1, 1, 1, 1, 1, None, None, None])


def test_value_out_of_range_names_item_and_allowed_values():
    with pytest.raises(
        ScoringError, match=r"item 'phq9_2': value 4 is out of range \(allowed: 0, 1, 2, 3\)"
    ):
        score_positional(PHQ9, [0, 4, 0, 0, 0, 0, 0, 0, 0])


def test_unknown_item_is_an_error():
    with pytest.raises(ScoringError, match=r"item 'phq9_10': unknown item"):
        score(PHQ9, {"phq9_10": 1})


@pytest.mark.parametrize("bad", ["2", True, 1.5, float("nan")])
def test_wrong_type_is_an_error(bad):
    with pytest.raises(ScoringError, match="phq9_1"):
        score(PHQ9, {f"phq9_{n}": 0 for n in range(2, 10)} | {"phq9_1": bad})


def test_scoring_error_is_a_value_error():
    assert issubclass(ScoringError, ValueError)


def test_too_many_and_too_few_positional_answers_are_errors():
    with pytest.raises(ScoringError, match="too many answers"):
        score_positional(GAD7, [0] * 8)
    with pytest.raises(ScoringError, match="too few answers"):
        score_positional(GAD7, [0] * 6)


def test_phq9_difficulty_item_is_recorded_but_not_scored():
    result = score_positional(PHQ9, [1] * 9 + [2])
    assert result.total == 9
    assert result.answers["phq9_difficulty"] == 2


def test_checkin_scores_item_means_per_subscale_and_ignores_the_comment():
    result = score_positional(CHECKIN, [6, 4, 5, 5, 3, 4, "Start on time."])
    assert result.subscales == {"goal": 5.0, "task": 5.0, "bond": 3.5}
    assert result.total == pytest.approx(27 / 6)
    assert result.answers["better_today"] == "Start on time."
    assert result.band is None  # bands come from the practice's distribution


def test_checkin_with_two_items_missing_is_invalid():
    with pytest.raises(ScoringError, match="'bond_1', 'bond_2': too many missing items"):
        score(CHECKIN, {"goal_1": 5, "goal_2": 5, "task_1": 5, "task_2": 5})


def test_subscale_missing_rule_applies_within_the_overall_allowance():
    # given a form allowing 2 missing overall but 1 per subscale
    instrument = instrument_from_dict(twelve_item_alliance())
    answers = {f"m{n}": 3 for n in range(3, 13)}  # m1 and m2 are both task items
    # then
    with pytest.raises(ScoringError, match="too many missing items in subscale 'task'"):
        score(instrument, answers)


def test_results_are_frozen():
    result = score_positional(GAD7, [0] * 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 3  # type: ignore[misc]


def _answers(instrument: Instrument) -> st.SearchStrategy[dict[str, int | None]]:
    """Valid answers with at most `max_missing` scored items left out."""
    scored = instrument.scored_items

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, int | None]:
        values = {item.id: draw(st.sampled_from(item.values)) for item in scored}
        missing = draw(
            st.sets(st.sampled_from([i.id for i in scored]), max_size=instrument.max_missing)
        )
        return {k: (None if k in missing else int(v)) for k, v in values.items()}

    return build()


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_scores_stay_in_range_and_prorating_never_exceeds_the_maximum(data):
    for instrument in (PHQ9, GAD7, instrument_from_dict(twelve_item_alliance())):
        answers = data.draw(_answers(instrument))
        try:
            result = score(instrument, answers)
        except ScoringError:
            # Only subscale-level missing rules may refuse a response within max_missing.
            assert instrument.subscales
            continue
        assert instrument.total_min <= result.total <= instrument.total_max
        for sub in instrument.subscales:
            assert sub.min <= result.subscales[sub.id] <= sub.max
        assert (instrument.band_for(result.total) is not None) == bool(instrument.bands)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_complete_phq9_total_is_the_plain_sum(values):
    assert score_positional(PHQ9, values).total == sum(values)
