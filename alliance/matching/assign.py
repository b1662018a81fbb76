"""Waiting-list assignment: waiting clients to therapists with room, by min-cost flow.

Each waiting client gets their top-K feasible therapists, scored exactly like a live match
(`Index.evaluate_block`), computed as matrix operations per group of clients who share a
jurisdiction, language and modality. A min-cost flow (OR-Tools) then picks at most one
therapist per client within every therapist's free capacity, with an "unassigned" bypass
arc per client. Leaving a client unassigned costs their waiting-time term, and for clients
who are due (an open safety alert, or within `due_within_days` of `max_wait_days`) a tier
penalty larger than any possible gain elsewhere, so every due client with a feasible
therapist is served whenever capacity allows. An assignment is an offer the client may
accept or decline.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from alliance.matching._candidates import top_candidates
from alliance.matching.encoding import QueryTable
from alliance.matching.index import Index
from alliance.matching.rows import ClientQuery
from alliance.matching.weights import Weights

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MAX_WAIT_DAYS = 28.0


@dataclass(frozen=True)
class WaitingClient:
    id: int
    query: ClientQuery
    waited_days: float
    safety_alert: bool = False


@dataclass(frozen=True)
class AssignConfig:
    """How the waiting list trades predicted alliance against waiting."""

    k: int = 10
    max_wait_days: float = MAX_WAIT_DAYS
    # Clients this close to max_wait_days are due: the next run may be too late.
    due_within_days: float = 7.0
    # Value of having waited max_wait_days, in score units (SDs of predicted alliance).
    wait_weight: float = 0.5
    # Extra value of serving a client with an open safety alert (also always due).
    safety_bonus: float = 1.0
    # Value of serving anyone at all, above the lowest candidate score, so the flow never
    # leaves a client waiting to save a slot for a slightly better fit.
    serve_value: float = 1.0
    # Integer cost units per score unit (OR-Tools needs integer costs).
    scale: int = 1000


@dataclass(frozen=True)
class Candidates:
    """Feasible (client, therapist row) pairs with scores, sorted by client then score."""

    client: IntArray
    row: IntArray
    score: FloatArray
    n_clients: int


@dataclass(frozen=True)
class FlowProblem:
    """Integer costs: arc i -> therapist[i] costs `cost[i]`; leaving c unassigned, `bypass[c]`."""

    client: IntArray
    therapist: IntArray
    cost: IntArray
    bypass: IntArray
    wait_cost: IntArray
    capacity: IntArray
    due: BoolArray


@dataclass(frozen=True)
class Assignment:
    client_ids: IntArray
    therapist_ids: IntArray  # -1 where the client stays on the waiting list
    has_candidate: BoolArray
    due: BoolArray
    objective: float
    cost: int
    candidate_seconds: float
    solver_seconds: float

    def offers(self) -> dict[int, int]:
        return {
            int(c): int(t)
            for c, t in zip(self.client_ids, self.therapist_ids, strict=True)
            if t >= 0
        }


# --- candidates -------------------------------------------------------------------------


def candidates(
    index: Index,
    qt: QueryTable,
    k: int,
    weights: Weights,
    *,
    workers: int = 2,
    tie_keys: IntArray | None = None,
) -> Candidates:
    """Top-k feasible therapists per client, as matrix blocks per group of clients.

    See `_candidates`: groups run on `workers` threads (numpy releases the GIL in the
    block arithmetic). Therapists tied at the cut are chosen per client in a fixed
    pseudo-random order keyed by `tie_keys` (client ids; by default positions), so that
    clients with equal scores spread over them.
    """
    client, row, score = top_candidates(index, qt, k, weights, workers=workers, tie_keys=tie_keys)
    # Each client's candidates already come together and best first: order by client only.
    o = np.argsort(client, kind="stable")
    return Candidates(client[o], row[o], score[o].astype(np.float64), len(qt))


# --- the flow problem -------------------------------------------------------------------


def flow_problem(
    cands: Candidates,
    capacity: IntArray,
    waited_days: FloatArray,
    safety: BoolArray,
    config: AssignConfig,
) -> FlowProblem:
    """Integer costs for the flow; `capacity` is indexed by the candidates' rows."""
    s = config.scale
    low = float(cands.score.min()) if cands.score.shape[0] else 0.0
    value = cands.score - low + config.serve_value
    waited = np.minimum(waited_days / config.max_wait_days, 2.0)
    urgency = config.wait_weight * waited + config.safety_bonus * safety
    due = safety | (waited_days >= config.max_wait_days - config.due_within_days)
    cost = -np.rint(s * value).astype(np.int64)
    bypass = np.rint(s * urgency).astype(np.int64)
    # Serving one more due client must beat any change elsewhere: the whole non-tier
    # objective spans at most n * (max value + max urgency).
    span = int(-cost.min(initial=0)) + int(bypass.max(initial=0)) + 1
    tier = span * (cands.n_clients + 1)
    if tier * (cands.n_clients + capacity.shape[0] + 2) > 2**62:
        raise OverflowError("costs too large for the flow solver; lower AssignConfig.scale")
    return FlowProblem(
        client=cands.client,
        therapist=cands.row,
        cost=cost,
        bypass=bypass + np.where(due, tier, 0),
        wait_cost=bypass,
        capacity=capacity.astype(np.int64),
        due=due,
    )


def solve_flow(problem: FlowProblem, *, workers: int = 2) -> tuple[IntArray, int]:
    """Optimal choice per client (a therapist index, or -1) and its total integer cost.

    Clients and therapists that share no candidate arc, directly or through others (most
    often: different jurisdictions), are independent problems: the connected components
    are split into `workers` parts solved on threads (OR-Tools releases the GIL).

    When the bypass costs carry `flow_problem`'s due tier, the tier is not handed to the
    solver: its huge cost range slows cost scaling. The same optimum (serve as many due
    clients as possible, then the best total) is found by a max flow over the due clients
    (how many can be served at most) and a min-cost flow in which the due clients' bypass
    arcs share one arc with exactly the capacity left for the others.
    """
    n = problem.bypass.shape[0]
    choice = np.full(n, -1, dtype=np.int64)
    chosen: list[IntArray] = []
    if problem.client.shape[0]:
        tiered = _tier_is_lexicographic(problem)
        parts = _parts(problem, workers)

        def run(arcs: IntArray) -> IntArray:
            return _solve_part(problem, arcs, tiered)

        if len(parts) > 1:
            with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                chosen = list(pool.map(run, parts))
        else:
            chosen = [run(p) for p in parts]
    arcs = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    choice[problem.client[arcs]] = problem.therapist[arcs]
    cost = int(problem.cost[arcs].sum()) + int(problem.bypass[choice < 0].sum())
    return choice, cost


def _tier_is_lexicographic(problem: FlowProblem) -> bool:
    """Does the bypass add one tier to due clients that outweighs every other difference?"""
    tier = problem.bypass - problem.wait_cost
    if np.any(tier[~problem.due] != 0):
        return False
    if not problem.due.any():
        return True
    due_tier = tier[problem.due]
    if np.any(due_tier != due_tier[0]):
        return False
    # Two solutions differ by at most, per client, its bypass minus its cheapest arc.
    best = np.full(problem.bypass.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    client = problem.client
    if np.all(client[1:] >= client[:-1]):
        starts = np.flatnonzero(np.r_[True, client[1:] != client[:-1]])
        best[client[starts]] = np.minimum.reduceat(problem.cost, starts)
    else:
        np.minimum.at(best, client, problem.cost)
    spread = np.maximum(problem.wait_cost - np.minimum(best, problem.wait_cost), 0).sum()
    return int(due_tier[0]) > int(spread)


def _parts(problem: FlowProblem, workers: int) -> list[IntArray]:
    """Arc indices of independent sub-problems: connected components, in `workers` bins."""
    arcs = problem.client.shape[0]
    if workers <= 1:
        return [np.arange(arcs)]
    n, t = problem.bypass.shape[0], problem.capacity.shape[0]
    graph = coo_matrix(
        (np.ones(arcs, dtype=np.int8), (problem.client, n + problem.therapist)),
        shape=(n + t, n + t),
    )
    count, label = connected_components(graph, directed=False)
    component = label[problem.client]
    sizes = np.bincount(component, minlength=count)
    # Largest first into the lightest bin.
    load = [0] * workers
    bin_of = np.zeros(count, dtype=np.int64)
    for c in np.argsort(-sizes, kind="stable").tolist():
        if not sizes[c]:
            break
        b = load.index(min(load))
        bin_of[c] = b
        load[b] += int(sizes[c])
    arc_bin = bin_of[component]
    return [np.flatnonzero(arc_bin == b) for b in range(workers) if load[b]]


def _solve_part(problem: FlowProblem, arcs: IntArray, tiered: bool) -> IntArray:
    """Indices of the chosen arcs among `arcs` (a union of whole components)."""
    clients, c_local = np.unique(problem.client[arcs], return_inverse=True)
    rows, t_local = np.unique(problem.therapist[arcs], return_inverse=True)
    c_local, t_local = c_local.reshape(-1), t_local.reshape(-1)
    nc, nt = clients.shape[0], rows.shape[0]
    capacity = problem.capacity[rows]
    sink = nc + nt
    if tiered:
        due = problem.due[clients]
        bypass = problem.wait_cost[clients]
        n_due = int(due.sum())
        # Due clients bypass through one node whose arc to the sink leaves room for the
        # ones the max flow could not serve.
        spare = n_due - _max_due_served(due, c_local, t_local, capacity) if n_due else 0
        bypass_head = np.where(due, sink + 1, sink)
        extra_tails, extra_heads, extra_caps = [sink + 1], [sink], [spare]
    else:
        bypass = problem.bypass[clients]
        bypass_head = np.full(nc, sink)
        extra_tails, extra_heads, extra_caps = [], [], []
    m = arcs.shape[0]
    tails = np.concatenate([c_local, nc + np.arange(nt), np.arange(nc), extra_tails])
    heads = np.concatenate([nc + t_local, np.full(nt, sink), bypass_head, extra_heads])
    caps = np.concatenate([np.ones(m, dtype=np.int64), capacity, np.ones(nc, np.int64), extra_caps])
    costs = np.concatenate(
        [problem.cost[arcs], np.zeros(nt, np.int64), bypass, np.zeros(len(extra_tails), np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    i32, i64 = np.int32, np.int64
    handles = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(i32), heads.astype(i32), caps.astype(i64), costs.astype(i64)
    )
    nodes = sink + 1 + len(extra_tails)
    supplies = np.zeros(nodes, dtype=np.int64)
    supplies[:nc] = 1
    supplies[sink] = -nc
    flow.set_nodes_supplies(np.arange(nodes, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    used: IntArray = arcs[flow.flows(handles[:m]) > 0]
    return used


def _max_due_served(
    due: BoolArray, c_local: IntArray, t_local: IntArray, capacity: IntArray
) -> int:
    """How many due clients can be served at once, over their candidate arcs."""
    nc, nt = due.shape[0], capacity.shape[0]
    source, sink = nc + nt, nc + nt + 1
    on = due[c_local]
    due_clients = np.flatnonzero(due)
    tails = np.concatenate([c_local[on], nc + np.arange(nt), np.full(due_clients.shape[0], source)])
    heads = np.concatenate([nc + t_local[on], np.full(nt, sink), due_clients])
    caps = np.concatenate([np.ones(int(on.sum())), capacity, np.ones(due_clients.shape[0])])
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64)
    )
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    return int(flow.optimal_flow())


def solve_greedy(problem: FlowProblem, order: IntArray) -> tuple[IntArray, int]:
    """Baseline: clients in `order` each take their cheapest candidate with room left."""
    n = problem.bypass.shape[0]
    choice = np.full(n, -1, dtype=np.int64)
    left = problem.capacity.copy()
    starts = np.searchsorted(problem.client, np.arange(n + 1))
    therapist = problem.therapist.tolist()
    cost = problem.cost
    for c in order.tolist():
        lo, hi = int(starts[c]), int(starts[c + 1])
        if lo == hi:
            continue
        for i in np.argsort(cost[lo:hi], kind="stable").tolist():
            r = therapist[lo + i]
            if left[r] > 0:
                left[r] -= 1
                choice[c] = r
                break
    return choice, total_cost(problem, choice)


def arc_costs(problem: FlowProblem, choice: IntArray) -> IntArray:
    """Per client: the cost of their chosen arc, or their bypass cost if unassigned."""
    width = int(problem.therapist.max(initial=0)) + 1
    keys = problem.client * width + problem.therapist
    order = np.argsort(keys, kind="stable")
    assigned = np.flatnonzero(choice >= 0)
    want = assigned * width + choice[assigned]
    pos = np.searchsorted(keys[order], want)
    if pos.shape[0] and (
        np.any(pos >= keys.shape[0])
        or np.any(keys[order][np.minimum(pos, keys.shape[0] - 1)] != want)
    ):
        raise ValueError("a choice is not a candidate arc")
    out = problem.bypass.copy()
    out[assigned] = problem.cost[order[pos]]
    return out


def total_cost(problem: FlowProblem, choice: IntArray) -> int:
    """The flow objective of any choice."""
    return int(arc_costs(problem, choice).sum())


def served_value(problem: FlowProblem, choice: IntArray, scale: int) -> float:
    """Value of the served clients in score units: predicted alliance + waiting terms."""
    assigned = choice >= 0
    costs = arc_costs(problem, choice)
    return float((problem.wait_cost[assigned] - costs[assigned]).sum() / scale)


# --- end to end -------------------------------------------------------------------------


def assign_waiting(
    index: Index,
    clients: Sequence[WaitingClient],
    *,
    config: AssignConfig | None = None,
    weights: Weights | None = None,
    method: str = "flow",
) -> Assignment:
    """Offers for waiting clients: "flow" (optimal) or "greedy" (longest waiting first)."""
    config = config or AssignConfig()
    weights = weights or index.weights
    start = time.perf_counter()
    qt = index.encode([c.query for c in clients])
    ids = np.array([c.id for c in clients], dtype=np.int64)
    cands = candidates(index, qt, config.k, weights, tie_keys=ids)
    waited = np.array([c.waited_days for c in clients], dtype=np.float64)
    safety = np.array([c.safety_alert for c in clients], dtype=bool)
    problem = flow_problem(cands, index.free, waited, safety, config)
    built = time.perf_counter()
    if method == "flow":
        choice, cost = solve_flow(problem)
    elif method == "greedy":
        choice, cost = solve_greedy(problem, np.lexsort((ids, -waited)))
    else:
        raise ValueError(f"unknown method {method!r}")
    solved = time.perf_counter()
    return Assignment(
        client_ids=ids,
        therapist_ids=np.where(choice >= 0, index.ids[np.maximum(choice, 0)], -1),
        has_candidate=np.bincount(cands.client, minlength=len(clients)) > 0,
        due=problem.due,
        objective=served_value(problem, choice, config.scale),
        cost=cost,
        candidate_seconds=built - start,
        solver_seconds=solved - built,
    )
