from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.matching import Index, TherapistRow
from alliance.matching.reasons import MAX_REASONS, REASON_MIN
from alliance.matching.weights import COMPONENTS
from tests.matching.factories import preference_met, query, therapists, violations

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def directory_and_query(draw: st.DrawFn) -> tuple[list[TherapistRow], object]:
    rows = draw(therapists())
    return rows, draw(query([r.id for r in rows]))


@SETTINGS
@given(directory_and_query(), st.integers(1, 30))
def test_returned_therapists_never_violate_a_hard_constraint(case, k):
    rows, q = case
    by_id = {r.id: r for r in rows}
    matches = Index.build(rows).top_k(q, k=k)
    for m in matches:
        assert violations(by_id[m.therapist_id], q) == []


@SETTINGS
@given(directory_and_query())
def test_every_feasible_therapist_is_found_when_k_is_large(case):
    rows, q = case
    feasible = {r.id for r in rows if not violations(r, q)}
    result = Index.build(rows).search(q, k=len(rows))
    assert {m.therapist_id for m in result.matches} == feasible
    assert result.funnel[-1].remaining == len(feasible)


@SETTINGS
@given(directory_and_query())
def test_funnel_counts_match_the_reference_in_order(case):
    rows, q = case
    result = Index.build(rows).search(q, k=5)
    alive = list(rows)
    for step in result.funnel:
        kept = [r for r in alive if step.constraint not in violations(r, q)]
        assert step.eliminated == len(alive) - len(kept), step
        alive = kept
    if not alive:
        assert result.excluded_by is not None and result.matches == ()


@SETTINGS
@given(directory_and_query(), st.randoms(use_true_random=False))
def test_results_are_deterministic_and_ignore_row_order(case, rnd):
    rows, q = case
    first = Index.build(rows).top_k(q, k=5)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    again = Index.build(shuffled).top_k(q, k=5)
    assert [(m.therapist_id, m.score) for m in first] == [(m.therapist_id, m.score) for m in again]
    keys = [(-m.score, m.therapist_id) for m in first]
    assert keys == sorted(keys)


@SETTINGS
@given(directory_and_query())
def test_explanations_agree_with_the_scores(case):
    rows, q = case
    by_id = {r.id: r for r in rows}
    for m in Index.build(rows).top_k(q, k=10):
        assert m.score == sum(m.components[name] for name in COMPONENTS)
        # The reasons are the largest positive components, in order, with their values.
        expected = sorted(
            (n for n in COMPONENTS if m.components[n] >= REASON_MIN),
            key=lambda n: (-m.components[n], COMPONENTS.index(n)),
        )[:MAX_REASONS]
        assert [r.component for r in m.reasons] == expected
        for r in m.reasons:
            assert r.contribution == m.components[r.component]
            assert r.text
        # Unmet nice-to-haves are exactly the stated, non-must preferences not met.
        t = by_id[m.therapist_id]
        nice = q.stated - q.must_have
        assert set(m.unmet) == {p for p in nice if not preference_met(p, t, q)}
        if not nice:
            assert m.components["preference"] == 0.0
        else:
            met = sum(preference_met(p, t, q) for p in nice)
            assert math.isclose(m.components["preference"], 0.28 * met / len(nice))
