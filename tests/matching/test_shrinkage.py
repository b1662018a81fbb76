from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.matching import ClientQuery, DomainRecord, Evidence, Index, TherapistRow
from alliance.matching.shrinkage import MIN_CASES, Prior, estimate_prior, shrink, shrink_records
from alliance.matching.vocabulary import ALL_HOURS


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-3, 3),
    st.floats(0.01, 2),
    st.floats(0.1, 4),
    st.integers(1, 200),
    st.integers(1, 200),
)
def test_less_evidence_moves_an_estimate_further_towards_the_mean(y, tau2, sigma2, n1, n2):
    prior = Prior(mean=0.5, between_var=tau2, within_var=sigma2, therapists=10)
    few, many = sorted((n1, n2))
    post = shrink([y, y], [few, many], prior)
    assert abs(post.mean[0] - prior.mean) <= abs(post.mean[1] - prior.mean) + 1e-12
    assert abs(post.mean[1] - prior.mean) <= abs(y - prior.mean) + 1e-12
    # And the interval is wider with less evidence.
    assert post.upper[0] - post.lower[0] >= post.upper[1] - post.lower[1] - 1e-12


def test_a_therapist_without_cases_gets_the_prior_not_zero():
    prior = Prior(mean=4.2, between_var=0.1, within_var=1.0, therapists=5)
    post = shrink([0.0], [0], prior)
    assert post.mean[0] == 4.2
    assert not post.shown[0]


def test_method_of_moments_recovers_the_between_therapist_variance():
    rng = np.random.default_rng(7)
    true = rng.normal(3.0, np.sqrt(0.2), 2000)
    n = rng.integers(5, 60, 2000)
    means = true + rng.normal(0, 1, 2000) / np.sqrt(n)
    prior = estimate_prior(means, n, within_var=1.0)
    assert abs(prior.mean - 3.0) < 0.05
    assert abs(prior.between_var - 0.2) < 0.04


def test_no_between_variance_shrinks_everyone_to_the_mean():
    rng = np.random.default_rng(3)
    n = np.full(300, 20)
    sds = np.ones(300)
    means = 2.0 + rng.normal(0, 1, 300) / np.sqrt(n)
    prior, post = shrink_records(means, sds, n)
    assert prior.between_var < 0.01
    assert np.all(np.abs(post.mean - prior.mean) < 0.2)


def test_records_are_shown_only_from_the_minimum_number_of_cases():
    prior = Prior(mean=0.0, between_var=0.2, within_var=1.0, therapists=3)
    post = shrink([1.0, 1.0], [MIN_CASES - 1, MIN_CASES], prior)
    assert post.shown.tolist() == [False, True]


def _row(id: int, alliance: Evidence) -> TherapistRow:
    return TherapistRow(
        id=id,
        jurisdictions=frozenset({"CA"}),
        languages=frozenset({"en"}),
        modalities=frozenset({"video"}),
        capacity=10,
        free_capacity=5,
        availability=ALL_HOURS,
        fee=80.0,
        records=(DomainRecord("anxiety", alliance=alliance),),
    )


def test_a_strong_record_from_many_cases_outranks_the_same_mean_from_few():
    rng = np.random.default_rng(0)
    others = [_row(i, Evidence(float(rng.normal(4, 0.4)), 1.0, 30)) for i in range(3, 40)]
    rows = [_row(1, Evidence(5.0, 1.0, 3)), _row(2, Evidence(5.0, 1.0, 60)), *others]
    q = ClientQuery(
        jurisdiction="CA",
        languages=frozenset({"en"}),
        modality="video",
        concerns=frozenset({"anxiety"}),
    )
    matches = Index.build(rows).top_k(q, k=2)
    assert matches[0].therapist_id == 2
    assert matches[0].reasons[0].component == "alliance"


def test_a_record_from_fewer_cases_than_the_minimum_is_never_cited_as_a_count():
    # Shrunk, a record from 3 clients still adds to the score; the reason says it is early
    # evidence rather than "3 clients" (records are shown from MIN_CASES cases only).
    rng = np.random.default_rng(1)
    others = [_row(i, Evidence(float(rng.normal(4, 0.4)), 1.0, 30)) for i in range(3, 40)]
    rows = [_row(1, Evidence(6.0, 1.0, 3)), *others]
    q = ClientQuery(
        jurisdiction="CA",
        languages=frozenset({"en"}),
        modality="video",
        concerns=frozenset({"anxiety"}),
    )
    matches = Index.build(rows).top_k(q, k=40)
    few = next(m for m in matches if m.therapist_id == 1)
    texts = [r.text for r in few.reasons if r.component == "alliance"]
    assert texts and "3 clients" not in texts[0]
    assert texts[0].startswith("Early signs of a good record")
    many = [r.text for m in matches if m.therapist_id != 1 for r in m.reasons]
    assert any("30 clients" in t or "clients, adjusted" in t for t in many)
