from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from alliance.matching import ClientQuery, Index, TherapistRow
from alliance.matching.assign import (
    AssignConfig,
    Candidates,
    WaitingClient,
    assign_waiting,
    flow_problem,
    solve_flow,
    solve_greedy,
    total_cost,
)
from alliance.matching.vocabulary import ALL_HOURS
from tests.matching.factories import query, therapists, violations

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def exact_cost(problem) -> int:
    """Exact optimum by the Hungarian method on capacity-expanded slots plus one dummy each."""
    n = problem.bypass.shape[0]
    slots = [r for r in range(problem.capacity.shape[0]) for _ in range(problem.capacity[r])]
    forbidden = 10**15
    cost = np.full((n, len(slots) + n), forbidden, dtype=np.int64)
    for c, r, arc in zip(problem.client, problem.therapist, problem.cost, strict=True):
        for j, slot in enumerate(slots):
            if slot == r:
                cost[c, j] = arc
    cost[np.arange(n), len(slots) + np.arange(n)] = problem.bypass
    rows, cols = linear_sum_assignment(cost)
    total = int(cost[rows, cols].sum())
    assert total < forbidden
    return total


@st.composite
def small_problem(draw: st.DrawFn):
    n_clients = draw(st.integers(1, 8))
    n_therapists = draw(st.integers(1, 5))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_clients - 1), st.integers(0, n_therapists - 1)),
            unique=True,
            max_size=n_clients * n_therapists,
        )
    )
    pairs.sort()
    scores = draw(st.lists(st.floats(-2, 2), min_size=len(pairs), max_size=len(pairs)))
    cands = Candidates(
        client=np.array([p[0] for p in pairs], dtype=np.int64),
        row=np.array([p[1] for p in pairs], dtype=np.int64),
        score=np.array(scores, dtype=np.float64),
        n_clients=n_clients,
    )
    capacity = np.array(
        draw(st.lists(st.integers(0, 3), min_size=n_therapists, max_size=n_therapists)),
        dtype=np.int64,
    )
    waited = np.array(draw(st.lists(st.floats(0, 40), min_size=n_clients, max_size=n_clients)))
    safety = np.array(draw(st.lists(st.booleans(), min_size=n_clients, max_size=n_clients)))
    return flow_problem(cands, capacity, waited, safety, AssignConfig())


def check_respects_capacity(problem, choice) -> None:
    used = np.bincount(choice[choice >= 0], minlength=problem.capacity.shape[0])
    assert np.all(used <= problem.capacity)
    arcs = set(zip(problem.client.tolist(), problem.therapist.tolist(), strict=True))
    for c, r in enumerate(choice.tolist()):
        assert r < 0 or (c, r) in arcs


@SETTINGS
@given(small_problem())
def test_min_cost_flow_matches_the_exact_optimum(problem):
    choice, cost = solve_flow(problem)
    check_respects_capacity(problem, choice)
    assert cost == total_cost(problem, choice)
    assert cost == exact_cost(problem)


@SETTINGS
@given(small_problem())
def test_greedy_is_feasible_and_never_beats_the_flow(problem):
    order = np.arange(problem.bypass.shape[0])
    choice, cost = solve_greedy(problem, order)
    check_respects_capacity(problem, choice)
    assert cost >= solve_flow(problem)[1]


@st.composite
def waiting_list(draw: st.DrawFn):
    rows = draw(therapists(max_size=12))
    clients = [
        WaitingClient(
            id=i,
            query=draw(query([r.id for r in rows])),
            waited_days=draw(st.floats(0, 40)),
            safety_alert=draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 12)))
    ]
    return rows, clients


@SETTINGS
@given(waiting_list(), st.integers(1, 5))
def test_waiting_list_offers_respect_capacity_and_hard_constraints(case, k):
    rows, clients = case
    by_id = {r.id: r for r in rows}
    result = assign_waiting(Index.build(rows), clients, config=AssignConfig(k=k))
    taken: dict[int, int] = {}
    for client, tid in zip(clients, result.therapist_ids.tolist(), strict=True):
        if tid >= 0:
            assert violations(by_id[tid], client.query) == []
            taken[tid] = taken.get(tid, 0) + 1
    for tid, n in taken.items():
        assert n <= by_id[tid].free_capacity


def _therapist(id: int, free: int, culture: str) -> TherapistRow:
    return TherapistRow(
        id=id,
        jurisdictions=frozenset({"CA"}),
        languages=frozenset({"en"}),
        modalities=frozenset({"video"}),
        capacity=5,
        free_capacity=free,
        availability=ALL_HOURS,
        fee=80.0,
        cultures=frozenset({culture}),
    )


def _client(id: int, waited: float, culture: str, safety: bool = False) -> WaitingClient:
    q = ClientQuery(
        jurisdiction="CA",
        languages=frozenset({"en"}),
        modality="video",
        cultures=frozenset({culture}),
    )
    return WaitingClient(id=id, query=q, waited_days=waited, safety_alert=safety)


def test_a_client_due_by_max_wait_days_is_served_before_a_better_fit():
    # given one free place that fits the recent client better
    index = Index.build([_therapist(1, free=1, culture="latin")])
    clients = [_client(10, waited=2, culture="latin"), _client(11, waited=27, culture="black")]
    # when
    result = assign_waiting(index, clients)
    # then the client about to pass MAX_WAIT_DAYS gets it
    assert result.offers() == {11: 1}


def test_an_open_safety_alert_is_served_first():
    index = Index.build([_therapist(1, free=1, culture="latin")])
    clients = [_client(10, waited=27, culture="latin"), _client(11, 0, "black", safety=True)]
    assert assign_waiting(index, clients).offers() == {11: 1}


def test_every_feasible_client_is_served_when_there_is_room():
    index = Index.build([_therapist(1, free=2, culture="latin"), _therapist(2, 1, "black")])
    clients = [_client(i, waited=i, culture="latin") for i in range(3)]
    result = assign_waiting(index, clients)
    assert sorted(result.offers()) == [0, 1, 2]
    greedy = assign_waiting(index, clients, method="greedy")
    assert result.cost <= greedy.cost
