"""The score components: preference fit, specialty, alliance and outcome records, load and
switch reason, each weighted.

`block_components` scores a block of waiting clients against therapist rows and `components_one`
one live query; `score_block` is the waiting list's reference score (summed in place,
float32) and `evaluate_block` the same with feasibility. A live match, a waiting-list offer
and the learning features all come from these, so they agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from alliance.matching._one import OneQuery
from alliance.matching.constraints import hard_constraints, preference_met, preference_met_one
from alliance.matching.encoding import (
    PREF_BIT,
    U64,
    BoolArray,
    FloatArray,
    IntArray,
    QueryTable,
)
from alliance.matching.vocabulary import PILLARS, PREFERENCES
from alliance.matching.weights import COMPONENTS, Weights

if TYPE_CHECKING:
    from alliance.matching.index import Index


def block_components(
    index: Index, rows: IntArray, qt: QueryTable, weights: Weights
) -> tuple[dict[str, FloatArray], dict[str, BoolArray], dict[str, BoolArray]]:
    """Weighted score components (clients x therapists), with preference met/nice flags."""
    c, t = len(qt), rows.shape[0]
    met: dict[str, BoolArray] = {}
    nice: dict[str, BoolArray] = {}
    fit = np.zeros((c, t))
    n_nice = np.zeros(c)
    for name in PREFERENCES:
        bit = PREF_BIT[name]
        is_nice = ((qt.stated & bit) != 0) & ((qt.must & bit) == 0)
        if not is_nice.any():
            continue
        ok = preference_met(index, name, rows, qt)
        met[name] = ok
        nice[name] = is_nice
        fit = fit + (ok & is_nice[:, None])
        n_nice = n_nice + is_nice
    fit = fit / np.maximum(n_nice, 1.0)[:, None]

    concerns = qt.concerns.astype(U64)
    n_concerns = np.bitwise_count(concerns).astype(np.float64)
    shared = np.bitwise_count(index.specialty[rows][None, :] & concerns[:, None])
    specialty = shared / np.maximum(n_concerns, 1.0)[:, None]

    if c == 1:
        alliance = _record_one(index.alliance_z, index.alliance_mean_z, rows, qt)
        outcome = _record_one(index.outcome_z, index.outcome_mean_z, rows, qt)
        reason = int(qt.reason[0])
        switch = index.pillar_z[reason, rows][None, :] if reason >= 0 else np.zeros((1, t))
    else:
        alliance = qt.concern_weights @ index.alliance_z[:, rows]
        outcome = qt.concern_weights @ index.outcome_z[:, rows]
        onehot = np.zeros((c, len(PILLARS)))
        has_reason = qt.reason >= 0
        onehot[np.nonzero(has_reason)[0], qt.reason[has_reason]] = 1.0
        switch = onehot @ index.pillar_z[:, rows]
    components = {
        "preference": weights.preference * fit,
        "specialty": weights.specialty * specialty,
        "alliance": weights.alliance * alliance,
        "outcome": weights.outcome * outcome,
        "load": np.broadcast_to(weights.load * index.load[rows][None, :], (c, t)),
        "switch_reason": weights.switch_reason * switch,
    }
    return components, met, nice


def _record_one(z: FloatArray, mean_z: FloatArray, rows: IntArray, qt: QueryTable) -> FloatArray:
    if qt.concerns[0] == 0:
        return mean_z[rows][None, :]
    w = qt.concern_weights[0]
    acc = np.zeros(rows.shape[0])
    for d in np.flatnonzero(w):
        acc += w[d] * z[d, rows]
    return acc[None, :]


def _total(components: dict[str, FloatArray]) -> FloatArray:
    score = components[COMPONENTS[0]]
    for name in COMPONENTS[1:]:
        score = score + components[name]
    return score


def score_block(
    index: Index, rows: IntArray, qt: QueryTable, weights: Weights, *, group_checked: bool = False
) -> NDArray[np.float32]:
    """Scores (float32, -inf where infeasible) for clients in `qt` x therapist `rows`.

    The waiting-list path: the same constraints and the same score as `search`, summed
    in place instead of kept per component (no reasons are needed there).
    """
    c, t = len(qt), rows.shape[0]
    f32 = np.float32
    feasible = np.ones((c, t), dtype=bool)
    for _, step in hard_constraints(index, qt, group_checked=group_checked):
        feasible &= step(rows)
    record = (
        weights.alliance * index.alliance_z[:, rows] + weights.outcome * index.outcome_z[:, rows]
    )
    score = qt.concern_weights.astype(f32) @ record.astype(f32)
    score += (weights.load * index.load[rows]).astype(f32)[None, :]
    has_reason = qt.reason >= 0
    if weights.switch_reason and has_reason.any():
        onehot = np.zeros((c, len(PILLARS)), dtype=f32)
        onehot[np.nonzero(has_reason)[0], qt.reason[has_reason]] = 1.0
        score += onehot @ (weights.switch_reason * index.pillar_z[:, rows]).astype(f32)
    concerns = qt.concerns.astype(U64)
    if weights.specialty and concerns.any():
        n_concerns = np.maximum(np.bitwise_count(concerns), 1).astype(f32)
        shared = np.bitwise_count(index.specialty[rows][None, :] & concerns[:, None])
        score += shared * (f32(weights.specialty) / n_concerns)[:, None]
    nice_bits = qt.stated & ~qt.must
    n_nice = np.zeros(c, dtype=f32)
    for name in PREFERENCES:
        n_nice += (nice_bits & PREF_BIT[name]) != 0
    coef_all = f32(weights.preference) / np.maximum(n_nice, 1)
    for name in PREFERENCES:
        is_nice = (nice_bits & PREF_BIT[name]) != 0
        if weights.preference and is_nice.any():
            ok = preference_met(index, name, rows, qt)
            score += ok * np.where(is_nice, coef_all, f32(0))[:, None]
    np.copyto(score, f32(-np.inf), where=~feasible)
    return score


def evaluate_block(
    index: Index, rows: IntArray, qt: QueryTable, weights: Weights, *, group_checked: bool = False
) -> tuple[BoolArray, FloatArray]:
    """Feasibility and score for every client in `qt` x therapist row in `rows`.

    All clients share the jurisdiction that `rows` were taken from.
    """
    feasible = np.ones((len(qt), rows.shape[0]), dtype=bool)
    for _, step in hard_constraints(index, qt, group_checked=group_checked):
        feasible &= step(rows)
    components, _, _ = block_components(index, rows, qt, weights)
    return feasible, _total(components)


def components_one(
    index: Index, rows: IntArray, q: OneQuery, weights: Weights
) -> tuple[FloatArray, dict[str, BoolArray]]:
    """Weighted score components for one query over `rows`, with nice-to-haves met.

    One row per component, in `COMPONENTS` order. A live match and the learning
    features both come from here, so they agree to the last bit.
    """
    t = rows.shape[0]
    out = np.empty((len(COMPONENTS), t))
    met: dict[str, BoolArray] = {}
    fit: FloatArray | None = None
    n_nice = 0
    nice_bits = q.stated & ~q.must
    for name in PREFERENCES:
        if nice_bits & PREF_BIT[name]:
            ok = preference_met_one(index, name, rows, q)
            met[name] = ok
            fit = ok.astype(np.float64) if fit is None else fit + ok
            n_nice += 1
    if fit is None:
        out[0] = 0.0
    else:
        np.multiply(weights.preference, fit / float(n_nice), out=out[0])

    codes = q.concern_codes
    if codes:
        shared = np.bitwise_count(index.specialty[rows] & U64(q.concerns))
        np.multiply(weights.specialty, shared / float(len(codes)), out=out[1])
        # The records averaged over the client's concerns, summed in domain order.
        share = 1.0 / len(codes)
        alliance, outcome = np.zeros(t), np.zeros(t)
        for d in codes:
            alliance += share * index.alliance_z[d, rows]
            outcome += share * index.outcome_z[d, rows]
    else:
        out[1] = 0.0
        alliance, outcome = index.alliance_mean_z[rows], index.outcome_mean_z[rows]
    np.multiply(weights.alliance, alliance, out=out[2])
    np.multiply(weights.outcome, outcome, out=out[3])
    np.multiply(weights.load, index.load[rows], out=out[4])
    if q.reason >= 0:
        np.multiply(weights.switch_reason, index.pillar_z[q.reason, rows], out=out[5])
    else:
        out[5] = 0.0
    return out, met
