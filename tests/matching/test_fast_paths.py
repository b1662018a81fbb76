"""The fast paths agree with the reference evaluation they replace.

A live match (`Index.search`) filters one jurisdiction's contiguous columns with a
scalar-encoded query; the waiting list (`assign.candidates`) gathers per-value tables per
block of clients; `solve_flow` splits components and replaces the due tier by a max flow.
`Index.evaluate_block` / `score_block` (one matrix over all pairs) and the exact assignment
are the references.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.matching import ClientQuery, Index, TherapistRow
from alliance.matching import _candidates as block_candidates
from alliance.matching.assign import (
    AssignConfig,
    Candidates,
    FlowProblem,
    candidates,
    flow_problem,
    solve_flow,
)
from alliance.matching.vocabulary import ALL_HOURS
from alliance.matching.weights import COMPONENTS
from tests.matching.factories import query, therapists, violations
from tests.matching.test_assign import check_respects_capacity, exact_cost, small_problem

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Drawing directories dominates these tests' time; fewer, smaller examples keep them quick.
FEWER = settings(SETTINGS, max_examples=25)
NO_ROWS = np.zeros(0, dtype=np.int64)


@st.composite
def directory_and_queries(
    draw: st.DrawFn, max_queries: int = 12
) -> tuple[list[TherapistRow], list[ClientQuery]]:
    rows = draw(therapists(max_size=12))
    ids = [r.id for r in rows]
    return rows, draw(st.lists(query(ids), min_size=1, max_size=max_queries))


# --- a live match -----------------------------------------------------------------------


@FEWER
@given(directory_and_queries(max_queries=1))
def test_search_agrees_with_the_block_evaluation(case):
    rows, (q,) = case
    index = Index.build(rows)
    postings = index.postings.get(q.jurisdiction, NO_ROWS)
    feasible, score = index.evaluate_block(postings, index.encode([q]), index.weights)
    result = index.search(q, k=len(rows))
    found = {m.therapist_id: m.score for m in result.matches}
    assert set(found) == set(index.ids[postings[feasible[0]]].tolist())
    for pos in np.flatnonzero(feasible[0]).tolist():
        assert math.isclose(found[int(index.ids[postings[pos]])], score[0, pos], abs_tol=1e-9)


@FEWER
@given(directory_and_queries())
def test_one_index_answers_a_run_of_queries_sharing_languages_and_modality(case):
    # The language/modality/capacity prefix is kept per jurisdiction between queries.
    rows, queries = case
    index = Index.build(rows)
    first = queries[0]
    for q in queries:
        q = dataclasses.replace(q, languages=first.languages, modality=first.modality)
        result = index.search(q, k=len(rows))
        alive = [r for r in rows if q.jurisdiction in r.jurisdictions]
        for step in result.funnel[1:]:
            kept = [r for r in alive if step.constraint not in violations(r, q)]
            assert step.eliminated == len(alive) - len(kept), step
            alive = kept
        assert {m.therapist_id for m in result.matches} == {r.id for r in alive}


@FEWER
@given(directory_and_queries(max_queries=1))
def test_learning_features_are_the_unweighted_components_of_a_match(case):
    rows, (q,) = case
    index = Index.build(rows)
    matches = index.top_k(q, k=5)
    if not matches:
        return
    features = index.features(q, [m.therapist_id for m in matches])
    weights = np.array(index.weights.vector())
    for m, row in zip(matches, features, strict=True):
        assert np.allclose(row * weights, [m.components[c] for c in COMPONENTS], atol=1e-12)


@FEWER
@given(directory_and_queries())
def test_a_query_encodes_the_same_alone_and_in_a_waiting_list(case):
    rows, queries = case
    index = Index.build(rows)
    table = index.encode(queries)
    for i, q in enumerate(queries):
        one = index._encode_one(q)
        assert tuple(table.languages[i].tolist()) == one.languages
        assert int(table.modality[i]) == one.modality
        assert tuple(table.hours[i].tolist()) == one.hours
        assert int(table.min_overlap[i]) == one.min_overlap
        assert float(table.budget[i]) == one.budget
        assert (int(table.insurer_word[i]), int(table.insurer_bit[i])) == (
            one.insurer_word,
            one.insurer_bit,
        )
        assert int(table.gender[i]) == one.gender
        assert (int(table.age_lo[i]), int(table.age_hi[i])) == (one.age_lo, one.age_hi)
        assert tuple(table.cultures[i].tolist()) == one.cultures
        assert tuple(table.approaches[i].tolist()) == one.approaches
        assert int(table.style[i]) == one.style
        assert (int(table.stated[i]), int(table.must[i])) == (one.stated, one.must)
        assert int(table.concerns[i]) == one.concerns
        share = 1.0 / len(one.concern_codes) if one.concern_codes else None
        expected = [
            (share if d in one.concern_codes else 0.0) if share else 1.0 / 12 for d in range(12)
        ]
        assert table.concern_weights[i].tolist() == expected
        assert int(table.reason[i]) == one.reason
        assert table.excluded[i] == one.excluded


def test_an_empty_waiting_list_encodes_to_an_empty_table():
    index = Index.build([_therapist(1)])
    assert len(index.encode([])) == 0
    assert candidates(index, index.encode([]), 3, index.weights).client.shape == (0,)


# --- waiting-list candidates -------------------------------------------------------------


def _reference_top(index: Index, q_table, i: int, k: int) -> tuple[list[int], list[float]]:
    """Client i's k best feasible rows by the one-matrix reference, ties by id."""
    q = q_table.take(np.array([i]))
    jurisdiction = {v: j for j, v in index.jurisdictions.codes.items()}.get(int(q.jurisdiction[0]))
    rows = index.postings.get(jurisdiction, NO_ROWS) if jurisdiction else NO_ROWS
    score = index.score_block(rows, q, index.weights)[0].astype(np.float64)
    ok = np.isfinite(score)
    order = np.lexsort((index.ids[rows[ok]], -score[ok]))[:k]
    return rows[ok][order].tolist(), score[ok][order].tolist()


def _per_client(cands: Candidates, i: int) -> tuple[list[int], list[float]]:
    mine = cands.client == i
    return cands.row[mine].tolist(), cands.score[mine].tolist()


@FEWER
@given(directory_and_queries(), st.integers(1, 6))
def test_block_candidates_are_each_clients_top_k_by_the_reference_score(case, k):
    rows, queries = case
    index = Index.build(rows)
    q_table = index.encode(queries)
    cands = candidates(index, q_table, k, index.weights, workers=1)
    by_id = {r.id: r for r in rows}
    assert np.all(np.diff(cands.client) >= 0)
    for i, q in enumerate(queries):
        got_rows, got_scores = _per_client(cands, i)
        ref_rows, ref_scores = _reference_top(index, q_table, i, k)
        assert len(got_rows) == len(ref_rows)
        assert np.allclose(got_scores, ref_scores, atol=1e-5)
        # Best first, equal scores by therapist id.
        keys = [(-s, int(index.ids[r])) for s, r in zip(got_scores, got_rows, strict=True)]
        assert keys == sorted(keys)
        for r in got_rows:
            assert violations(by_id[int(index.ids[r])], q) == []


@FEWER
@given(directory_and_queries(), st.integers(1, 4))
def test_block_candidates_do_not_depend_on_threads_blocks_or_table_sizes(case, k):
    rows, queries = case
    index = Index.build(rows)
    q_table = index.encode(queries)
    first = candidates(index, q_table, k, index.weights, workers=1)
    again = candidates(index, q_table, k, index.weights, workers=3)
    with pytest.MonkeyPatch.context() as mp:
        # One client per block, and every table built per block instead of per group.
        mp.setattr(block_candidates, "BLOCK_CELLS", 1)
        mp.setattr(block_candidates, "TABLE_CELLS", 0)
        small = candidates(index, q_table, k, index.weights, workers=1)
    for other in (again, small):
        assert np.array_equal(first.client, other.client)
        assert np.array_equal(first.row, other.row)
        assert np.array_equal(first.score, other.score)


def _therapist(id: int, **changes: object) -> TherapistRow:
    row = TherapistRow(
        id=id,
        jurisdictions=frozenset({"CA"}),
        languages=frozenset({"en"}),
        modalities=frozenset({"video"}),
        capacity=5,
        free_capacity=2,
        availability=ALL_HOURS,
        fee=80.0,
    )
    return dataclasses.replace(row, **changes)


def test_clients_with_equal_scores_spread_over_the_tied_therapists():
    # Forty identical therapists: every one ties with every other for every client.
    index = Index.build([_therapist(i) for i in range(100, 140)])
    q = ClientQuery(jurisdiction="CA", languages=frozenset({"en"}), modality="video")
    table = index.encode([q] * 200)
    cands = candidates(index, table, 2, index.weights, workers=1)
    assert np.bincount(cands.client).tolist() == [2] * 200
    # Not everyone queues for the same two therapists...
    assert np.unique(cands.row).shape[0] > 30
    # ...yet the choice is fixed: the same on threads, per block and on another run.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(block_candidates, "BLOCK_CELLS", 7)
        again = candidates(index, table, 2, index.weights, workers=2)
    assert np.array_equal(cands.row, again.row)
    # Keyed by client id, a client's choice does not depend on its place in the list.
    ids = np.arange(5000, 5200)

    def chosen(keys: np.ndarray) -> dict[int, list[int]]:
        got = candidates(index, table, 2, index.weights, tie_keys=keys)
        return {int(keys[c]): got.row[got.client == c].tolist() for c in range(200)}

    assert chosen(ids) == chosen(ids[::-1])
    # A live match shows ties by therapist id.
    assert [m.therapist_id for m in index.top_k(q, 2)] == [100, 101]


def test_a_tie_at_the_cut_keeps_every_better_therapist():
    better = [_therapist(i, free_capacity=5) for i in (1, 2)]
    tied = [_therapist(i) for i in range(10, 20)]
    index = Index.build(better + tied)
    q = ClientQuery(jurisdiction="CA", languages=frozenset({"en"}), modality="video")
    cands = candidates(index, index.encode([q] * 20), 3, index.weights)
    for c in range(20):
        ids = index.ids[cands.row[cands.client == c]].tolist()
        assert ids[:2] == [1, 2] and ids[2] >= 10


def test_a_therapist_the_client_left_is_never_a_candidate():
    index = Index.build([_therapist(1), _therapist(2)])
    q = ClientQuery(
        jurisdiction="CA", languages=frozenset({"en"}), modality="video", excluded=frozenset({1})
    )
    cands = candidates(index, index.encode([q]), 5, index.weights)
    assert index.ids[cands.row].tolist() == [2]


# --- the flow -------------------------------------------------------------------------


@SETTINGS
@given(small_problem(), st.integers(1, 4))
def test_splitting_into_components_keeps_the_exact_optimum(problem, workers):
    choice, cost = solve_flow(problem, workers=workers)
    check_respects_capacity(problem, choice)
    assert cost == exact_cost(problem)
    # Arcs need not come sorted by client.
    shuffled = np.random.default_rng(workers).permutation(problem.client.shape[0])
    mixed = dataclasses.replace(
        problem,
        client=problem.client[shuffled],
        therapist=problem.therapist[shuffled],
        cost=problem.cost[shuffled],
    )
    assert solve_flow(mixed, workers=workers)[1] == cost


@SETTINGS
@given(small_problem(), st.data())
def test_any_bypass_costs_are_solved_exactly(problem, data):
    # Bypass costs without the due tier's structure take the direct formulation.
    n = problem.bypass.shape[0]
    bypass = np.array(data.draw(st.lists(st.integers(-500, 5000), min_size=n, max_size=n)))
    plain = dataclasses.replace(problem, bypass=bypass.astype(np.int64))
    choice, cost = solve_flow(plain)
    check_respects_capacity(plain, choice)
    assert cost == exact_cost(plain)


def test_a_tier_too_small_to_decide_is_not_treated_as_one():
    # Serving due client 0 would cost more than the tier gains: the true optimum waits.
    problem = FlowProblem(
        client=np.array([0, 1], dtype=np.int64),
        therapist=np.array([0, 0], dtype=np.int64),
        cost=np.array([100, -5000], dtype=np.int64),
        bypass=np.array([10 + 50, 0], dtype=np.int64),
        wait_cost=np.array([10, 0], dtype=np.int64),
        capacity=np.array([1], dtype=np.int64),
        due=np.array([True, False]),
    )
    choice, cost = solve_flow(problem)
    assert choice.tolist() == [-1, 0]
    assert cost == exact_cost(problem) == 60 - 5000


def test_every_due_client_is_served_when_the_flow_problem_can_serve_them():
    # Three due clients and one recent one compete for two places; the two served are due.
    cands = Candidates(
        client=np.array([0, 1, 2, 3], dtype=np.int64),
        row=np.array([0, 0, 1, 1], dtype=np.int64),
        score=np.array([0.0, 0.1, 0.0, 2.0]),
        n_clients=4,
    )
    waited = np.array([25.0, 26.0, 27.0, 1.0])
    problem = flow_problem(cands, np.array([1, 1]), waited, np.zeros(4, dtype=bool), AssignConfig())
    choice, _ = solve_flow(problem)
    assert sorted(np.flatnonzero(choice >= 0).tolist()) in ([0, 2], [1, 2])
