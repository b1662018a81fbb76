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
from ortools.graph.python import min_cost_flow

from alliance.matching.index import Index, QueryTable
from alliance.matching.rows import ClientQuery
from alliance.matching.weights import Weights

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MAX_WAIT_DAYS = 28.0
# Cells of a clients x therapists block evaluated at once (bounds memory, keeps cache warm).
_BLOCK_CELLS = 400_000


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
    index: Index, qt: QueryTable, k: int, weights: Weights, *, workers: int = 2
) -> Candidates:
    """Top-k feasible therapists per client, vectorised per (jurisdiction, language, modality).

    Groups run on `workers` threads: numpy releases the GIL in the block arithmetic.
    """
    n = len(qt)
    keys = np.column_stack([qt.jurisdiction.astype(np.uint64), qt.modality, qt.languages])
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.reshape(-1)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    codes = {code: name for name, code in index.jurisdictions.codes.items()}

    def run(members: IntArray) -> list[tuple[IntArray, IntArray, FloatArray]]:
        jcode = int(qt.jurisdiction[members[0]])
        if jcode < 0:
            return []
        rows = index.postings[codes[jcode]]
        lead = qt.take(members[:1])
        ok = np.ones(rows.shape[0], dtype=bool)
        for _, step in index._constraints(lead)[:3]:  # language, modality, capacity
            ok &= step(rows)[0]
        rows = rows[ok]
        if rows.shape[0] == 0:
            return []
        out = []
        chunk = max(1, _BLOCK_CELLS // rows.shape[0])
        for start in range(0, members.shape[0], chunk):
            sel = members[start : start + chunk]
            score = index.score_block(rows, qt.take(sel), weights, group_checked=True)
            if rows.shape[0] > k:
                top = np.argpartition(score, rows.shape[0] - k, axis=1)[:, -k:]
            else:
                top = np.broadcast_to(np.arange(rows.shape[0]), (sel.shape[0], rows.shape[0]))
            top_s = np.take_along_axis(score, top, axis=1)
            keep = np.isfinite(top_s)
            out.append(
                (
                    np.broadcast_to(sel[:, None], top.shape)[keep],
                    rows[top][keep],
                    top_s[keep].astype(np.float64),
                )
            )
        return out

    parts = np.split(order, bounds)
    # Largest groups first so the threads finish together.
    parts.sort(key=lambda p: -p.shape[0])
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, parts))
    else:
        results = [run(p) for p in parts]
    pieces = [piece for result in results for piece in result]
    if not pieces:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, np.zeros(0), n)
    client = np.concatenate([p[0] for p in pieces])
    row = np.concatenate([p[1] for p in pieces])
    score = np.concatenate([p[2] for p in pieces])
    o = np.lexsort((row, -score, client))
    return Candidates(client[o], row[o], score[o], n)


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


def solve_flow(problem: FlowProblem) -> tuple[IntArray, int]:
    """Optimal choice per client (a therapist index, or -1) and its total integer cost."""
    n = problem.bypass.shape[0]
    used, local = np.unique(problem.therapist, return_inverse=True)
    t = used.shape[0]
    sink = n + t
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([problem.client, n + np.arange(t), np.arange(n)]).astype(np.int32)
    heads = np.concatenate([n + local.reshape(-1), np.full(t, sink), np.full(n, sink)])
    caps = np.concatenate(
        [np.ones(problem.client.shape[0]), problem.capacity[used], np.ones(n)]
    ).astype(np.int64)
    costs = np.concatenate([problem.cost, np.zeros(t, dtype=np.int64), problem.bypass])
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails, heads.astype(np.int32), caps, costs.astype(np.int64)
    )
    supplies = np.concatenate([np.ones(n), np.zeros(t), [-n]]).astype(np.int64)
    flow.set_nodes_supplies(np.arange(n + t + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = flow.flows(arcs[: problem.client.shape[0]])
    choice = np.full(n, -1, dtype=np.int64)
    chosen = flows > 0
    choice[problem.client[chosen]] = problem.therapist[chosen]
    return choice, int(flow.optimal_cost())


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
    cands = candidates(index, qt, config.k, weights)
    waited = np.array([c.waited_days for c in clients], dtype=np.float64)
    safety = np.array([c.safety_alert for c in clients], dtype=bool)
    problem = flow_problem(cands, index.free, waited, safety, config)
    built = time.perf_counter()
    if method == "flow":
        choice, cost = solve_flow(problem)
    elif method == "greedy":
        ids = np.array([c.id for c in clients], dtype=np.int64)
        choice, cost = solve_greedy(problem, np.lexsort((ids, -waited)))
    else:
        raise ValueError(f"unknown method {method!r}")
    solved = time.perf_counter()
    return Assignment(
        client_ids=np.array([c.id for c in clients], dtype=np.int64),
        therapist_ids=np.where(choice >= 0, index.ids[np.maximum(choice, 0)], -1),
        has_candidate=np.bincount(cands.client, minlength=len(clients)) > 0,
        due=problem.due,
        objective=served_value(problem, choice, config.scale),
        cost=cost,
        candidate_seconds=built - start,
        solver_seconds=solved - built,
    )
