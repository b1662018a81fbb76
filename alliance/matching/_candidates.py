"""Top-k candidate therapists for a whole waiting list, as matrix blocks.

Clients are grouped by (jurisdiction, modality, languages): a group shares one set of
therapist rows, already narrowed by language, modality and free capacity. Within a group,
every part of the score and of the hard constraints that depends on only one property of
the client is computed once per distinct value of that property and gathered per client:

- schedule overlap per distinct (preferred hours, minimum overlap) x distinct availability,
- payment per distinct (insurer, budget),
- the record, specialty, load and switch-reason terms per distinct (concerns, reason),
- each preference per distinct stated value (a gender set, an age range, a culture set...).

A block of clients x therapists is then a handful of gathers and byte-wide adds, with no
per-pair Python and no BLAS call (a multi-threaded BLAS on a busy machine is slower than
plain loops). The k best per client are taken by k passes of argmax; therapists tied with
the k-th best are chosen per client in a fixed pseudo-random order (see `_top_by_argmax`).

The arithmetic is `Index.score_block`'s (the reference, used by the tests) in float32,
regrouped: scores agree to float32 rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alliance.matching.constraints import preference_met
from alliance.matching.vocabulary import DOMAINS, PREFERENCES
from alliance.matching.weights import Weights

if TYPE_CHECKING:
    from alliance.matching.encoding import QueryTable
    from alliance.matching.index import Index

U64 = np.uint64
F32 = np.float32
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
F32Array = NDArray[np.float32]
WordArray = NDArray[np.uint64]
AnyArray = NDArray[Any]
Piece = tuple[IntArray, IntArray, F32Array]

# Cells of a clients x therapists block evaluated at once (bounds memory, keeps it in cache).
BLOCK_CELLS = 1 << 18
# A per-group table of distinct values x therapists larger than this is not kept; the
# values are then tabled per block instead.
TABLE_CELLS = 1 << 23
# Scores of infeasible pairs sink to about this (finite, so no inf - inf arithmetic).
_INFEASIBLE = F32(-1e30)
_FEASIBLE_ABOVE = -1e29
_PREF_BIT = {name: 1 << i for i, name in enumerate(PREFERENCES)}


class _Therapists:
    """Per-call therapist columns: weighted records in float32, over all index rows."""

    def __init__(self, index: Index, weights: Weights) -> None:
        record = weights.alliance * index.alliance_z + weights.outcome * index.outcome_z
        domains = np.arange(len(DOMAINS), dtype=U64)[:, None]
        specialty = ((index.specialty[None, :] >> domains) & U64(1)).astype(np.float64)
        # A client with concerns C gets mean over d in C of (record_d + w_s * specialty_d):
        # the record averaged over C plus w_s * |specialties & C| / |C|.
        self.combined = (record + weights.specialty * specialty).astype(F32)
        # With no stated concern: the record over all domains, no specialty term.
        self.record_mean = record.mean(axis=0).astype(F32)
        self.load = (weights.load * index.load).astype(F32)
        self.switch = (weights.switch_reason * index.pillar_z).astype(F32)
        self.preference = weights.preference
        # Working hours repeat across therapists: overlap is computed per distinct pattern.
        self.avail_ids, self.avail_patterns = _distinct_rows(index.avail)


def _distinct_rows(keys: AnyArray) -> tuple[IntArray, AnyArray]:
    """Ids of the distinct rows of `keys` (n, w) per row, and the distinct rows by id."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), keys
    order = np.lexsort(keys.T[::-1])
    ordered = keys[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids, ordered[new]


def _compact(ids: IntArray, size: int) -> tuple[IntArray, IntArray]:
    """The distinct values of `ids` (all in range(size)), ascending, and each one's position.

    `np.unique` for small non-negative integers, without sorting.
    """
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    used = np.flatnonzero(present)
    position = np.empty(size, dtype=np.int64)
    position[used] = np.arange(used.shape[0])
    return used, position[ids]


class _Keys:
    """Every client's key for each per-value table, as ids into the distinct keys.

    Computed once per call over all clients; a group then only sorts small integer ids.
    """

    def __init__(self, qt: QueryTable) -> None:
        bit = qt.insurer_bit
        insurer = np.where(bit > 0, qt.insurer_word * 64 + np.bitwise_count(bit - U64(1)), -1)
        self.keys = {
            "schedule": np.column_stack([qt.hours, qt.min_overlap.astype(U64)]),
            "payment": np.column_stack([insurer.astype(np.float64), qt.budget]),
            "base": np.column_stack([qt.concerns, qt.reason]),
            "gender": qt.gender[:, None],
            "age": np.column_stack([qt.age_lo, qt.age_hi]),
            "culture": qt.cultures,
            "approach": qt.approaches,
            "style": qt.style[:, None],
        }
        self.distinct = {name: _distinct_rows(k) for name, k in self.keys.items()}

    def of(self, name: str, who: IntArray) -> tuple[AnyArray, IntArray]:
        """The distinct keys among clients `who`, and each one's position among them."""
        ids, values = self.distinct[name]
        used, inv = _compact(ids[who], values.shape[0])
        return values[used], inv


class _Lookup:
    """Rows of a (distinct values x therapists) table, gathered per client of a group.

    If the group's table would be too large, the distinct values are tabled per block.
    """

    def __init__(
        self,
        keys: _Keys,
        name: str,
        members: IntArray,
        compute: Callable[[AnyArray], AnyArray],
        width: int,
    ) -> None:
        self.compute = compute
        self.table: AnyArray | None = None
        values, self.inv = keys.of(name, members)
        if values.shape[0] * width <= TABLE_CELLS:
            self.table = compute(values)
        else:
            self.values = values

    def rows(self, sel: IntArray) -> AnyArray:
        if self.table is not None:
            return self.table[self.inv[sel]]
        used, inv = _compact(self.inv[sel], self.values.shape[0])
        return self.compute(self.values[used])[inv]


def top_candidates(
    index: Index,
    qt: QueryTable,
    k: int,
    weights: Weights,
    *,
    workers: int = 2,
    tie_keys: IntArray | None = None,
) -> Piece:
    """(client, index row, score) of each client's k best feasible therapists.

    Each client's entries are contiguous and best first (equal scores by row, that is by
    therapist id); clients come in no particular order. Therapists tied at the cut are
    chosen per client in a fixed pseudo-random order keyed by `tie_keys` (one per client,
    such as its id; by default its position in `qt`).
    """
    th = _Therapists(index, weights)
    keys = _Keys(qt)
    n = len(qt)
    tie = np.arange(n, dtype=np.int64) if tie_keys is None else np.asarray(tie_keys, np.int64)
    group, _ = _distinct_rows(
        np.column_stack([qt.jurisdiction.astype(U64), qt.modality, qt.languages])
    )
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    names = {code: name for name, code in index.jurisdictions.codes.items()}

    def run(members: IntArray) -> list[Piece]:
        jcode = int(qt.jurisdiction[members[0]])
        if jcode < 0:
            return []
        rows = index.postings[names[jcode]]
        lead = int(members[0])
        ok = index.free[rows] > 0
        ok &= (index.mod[rows] & qt.modality[lead]) != 0
        lang = index.lang[rows]
        hit = np.zeros(rows.shape[0], dtype=bool)
        for w in range(lang.shape[1]):
            hit |= (lang[:, w] & qt.languages[lead, w]) != 0
        rows = rows[ok & hit]
        if rows.shape[0] == 0:
            return []
        return _Group(index, th, qt, keys, members, rows, tie).top(k)

    parts = np.split(order, bounds) if n else []
    # Largest groups first so the threads finish together.
    parts.sort(key=lambda p: -p.shape[0])
    if workers > 1 and len(parts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, parts))
    else:
        results = [run(p) for p in parts]
    pieces = [piece for result in results for piece in result]
    if not pieces:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=F32)
    return (
        np.concatenate([p[0] for p in pieces]),
        np.concatenate([p[1] for p in pieces]),
        np.concatenate([p[2] for p in pieces]),
    )


class _Group:
    """One group of clients sharing jurisdiction, modality and languages, and its rows."""

    def __init__(
        self,
        index: Index,
        th: _Therapists,
        qt: QueryTable,
        keys: _Keys,
        members: IntArray,
        rows: IntArray,
        tie_keys: IntArray,
    ) -> None:
        # Clients with the same stated preferences side by side: a block then only pays for
        # the preferences its clients stated.
        members = members[np.lexsort((members, qt.must[members], qt.stated[members]))]
        self.members = members
        self.tie_keys = tie_keys[members]
        self.rows = rows
        self.qt = qt
        self.keys = keys
        self.index = index
        t = rows.shape[0]
        self.t = t
        self.stated = qt.stated[members]
        self.must = qt.must[members]
        self.nice = self.stated & ~self.must
        self.pref_weight = th.preference
        excluded = [qt.excluded[i] for i in members.tolist()]
        self.excluded = [(pos, e) for pos, e in enumerate(excluded) if e]
        self.ids = index.ids[rows]

        self.schedule = self._schedule_lookup(th, keys, members)
        self.payment = self._payment_lookup(index, keys, members)
        self.base = self._base_lookup(th, keys, members)

        # Preferences: a table per preference over the distinct stated values, with a row
        # of False (not stated as a nice-to-have) and a row of True (not a must-have).
        self.prefs: dict[str, tuple[NDArray[np.bool_], IntArray] | None] = {}
        for name in PREFERENCES:
            bit_p = _PREF_BIT[name]
            stating = (self.stated & bit_p) != 0
            if stating.any():
                self.prefs[name] = self._pref_table(name, members, stating)

    def _schedule_lookup(self, th: _Therapists, keys: _Keys, members: IntArray) -> _Lookup:
        """Schedule: overlap of preferred hours with availability, per distinct pattern on
        both sides, then spread over the therapists having each availability pattern."""
        rows, t = self.rows, self.t
        used, pattern_of = _compact(th.avail_ids[rows], th.avail_patterns.shape[0])
        patterns = th.avail_patterns[used]

        def schedule(u: AnyArray) -> AnyArray:
            overlap = np.zeros((u.shape[0], patterns.shape[0]), dtype=np.uint8)
            for w in range(3):
                overlap += np.bitwise_count(patterns[None, :, w] & u[:, w, None])
            enough = overlap >= u[:, 3, None].astype(np.uint8)
            return enough[:, pattern_of]

        return _Lookup(keys, "schedule", members, schedule, t)

    def _payment_lookup(self, index: Index, keys: _Keys, members: IntArray) -> _Lookup:
        """Payment: the insurer pays, or the fee is within budget."""
        rows, t = self.rows, self.t
        fee = index.fee[rows]
        insurer = np.ascontiguousarray(index.insurer[rows].T)

        def payment(u: AnyArray) -> AnyArray:
            codes = u[:, 0].astype(np.int64)
            ok = fee[None, :] <= u[:, 1, None]
            has = np.flatnonzero(codes >= 0)
            if has.shape[0]:
                c = codes[has]
                bit = U64(1) << (c % 64).astype(U64)
                ok[has] |= (insurer[c // 64] & bit[:, None]) != 0
            return ok

        return _Lookup(keys, "payment", members, payment, t)

    def _base_lookup(self, th: _Therapists, keys: _Keys, members: IntArray) -> _Lookup:
        """Record, specialty, load and switch reason, per distinct (concerns, reason)."""
        rows, t = self.rows, self.t
        combined = th.combined[:, rows]
        record_mean = th.record_mean[rows]
        load = th.load[rows]
        switch = th.switch[:, rows]
        domains = np.arange(len(DOMAINS))

        # One zero row at the end: padding for clients with fewer concerns than others.
        padded = np.concatenate([combined, np.zeros((1, t), dtype=F32)])

        def base(u: AnyArray) -> AnyArray:
            concerns = u[:, 0].astype(np.int64)
            reason = u[:, 1].astype(np.int64)
            onehot = ((concerns[:, None] >> domains) & 1).astype(bool)
            count = onehot.sum(axis=1)
            # Each client's concern domains, padded with the zero row: a sum of a few rows.
            width = max(int(count.max(initial=0)), 1)
            codes = np.full((u.shape[0], width), len(DOMAINS), dtype=np.int64)
            slot = np.cumsum(onehot, axis=1) - 1
            who, domain = np.nonzero(onehot)
            codes[who, slot[who, domain]] = domain
            out: F32Array = padded[codes].sum(axis=1)
            out *= (1 / np.maximum(count, 1)).astype(F32)[:, None]
            none = count == 0
            if none.any():
                out[none] = record_mean
            out += load
            has = reason >= 0
            if has.any():
                out[has] += switch[reason[has]]
            return out

        return _Lookup(keys, "base", members, base, t)

    def _pref_table(
        self, name: str, members: IntArray, stating: BoolArray
    ) -> tuple[NDArray[np.bool_], IntArray] | None:
        """Met-or-not per distinct stated value x row, plus a False and a True row.

        None if the table would be too large: the block then evaluates the preference.
        """
        index, rows = self.index, self.rows
        who = members[stating]
        if name in ("faith_informed", "lgbtq_affirming"):
            col = index.faith if name == "faith_informed" else index.lgbtq
            met = col[rows][None, :]
            inv = np.zeros(who.shape[0], dtype=np.int64)
        else:
            u, inv = self.keys.of(name, who)
            if u.shape[0] * rows.shape[0] > TABLE_CELLS:
                return None
            if name == "gender":
                met = ((u[:, 0, None] >> index.gender[rows][None, :]) & U64(1)) != 0
            elif name == "age":
                age = index.age[rows][None, :]
                met = (age >= u[:, 0, None]) & (age <= u[:, 1, None])
            elif name in ("culture", "approach"):
                words = index.culture if name == "culture" else index.approach
                tw = words[rows]
                met = np.zeros((u.shape[0], rows.shape[0]), dtype=bool)
                for w in range(tw.shape[1]):
                    met |= (tw[None, :, w] & u[:, w, None]) != 0
            elif name == "style":
                met = index.style[rows][None, :] == u[:, 0, None]
            else:
                raise ValueError(f"unknown preference {name!r}")
        t = rows.shape[0]
        table = np.concatenate([met, np.zeros((1, t), dtype=bool), np.ones((1, t), dtype=bool)])
        # Per group member: its row in the table (-1 if it did not state the preference).
        where = np.full(members.shape[0], -1, dtype=np.int64)
        where[stating] = inv
        return table, where

    def top(self, k: int) -> list[Piece]:
        out: list[Piece] = []
        size = self.members.shape[0]
        chunk = max(1, BLOCK_CELLS // self.t)
        for start in range(0, size, chunk):
            out.extend(self._block(start, min(start + chunk, size), k))
        return out

    def _block(self, start: int, stop: int, k: int) -> list[Piece]:
        sel = np.arange(start, stop)
        feasible = self.schedule.rows(sel)
        feasible &= self.payment.rows(sel)
        score = self.base.rows(sel)
        nice, must = self.nice[sel], self.must[sel]
        count: NDArray[np.uint8] | None = None
        n_nice = np.zeros(sel.shape[0], dtype=F32)
        for name, pref in self.prefs.items():
            bit = _PREF_BIT[name]
            is_nice = (nice & bit) != 0
            is_must = (must & bit) != 0
            if pref is None:
                rows, who = self.rows, self.members[sel]
                met = preference_met(self.index, name, rows, self.qt.take(who))
                nice_met = (met & is_nice[:, None]).view(np.uint8)
                feasible &= met | ~is_must[:, None]
            else:
                table, where = pref
                n_u = table.shape[0] - 2
                w = where[sel]
                nice_met = table[np.where(is_nice, w, n_u)].view(np.uint8)
                if is_must.any():
                    feasible &= table[np.where(is_must, w, n_u + 1)]
            if is_nice.any():
                if count is None:
                    count = nice_met
                else:
                    count += nice_met
                n_nice += is_nice
        for pos, gone in self.excluded:
            if start <= pos < stop:
                away = np.isin(self.ids, np.fromiter(gone, np.int64, len(gone)))
                feasible[pos - start] &= ~away
        if count is not None:
            coef = F32(self.pref_weight) / np.maximum(n_nice, F32(1))
            score += coef[:, None] * count
        score += _INFEASIBLE * ~feasible
        members, tie_keys = self.members[sel], self.tie_keys[sel]
        return _top_by_argmax(score, members, tie_keys, self.rows, self.ids, k)


def _top_by_argmax(
    score: F32Array, clients: IntArray, tie_keys: IntArray, rows: IntArray, ids: IntArray, k: int
) -> list[Piece]:
    """The k best feasible entries per row, by k passes of argmax.

    Returned client by client, each client's entries best first (equal scores by row).
    Where therapists tie with the k-th best, which of them make the list is decided per
    client by a fixed pseudo-random order (`_tie_order`), so clients with equal scores
    spread over the tied therapists instead of all queueing for the lowest ids.
    """
    n, t = score.shape
    at = np.arange(n)
    best = np.empty((n, min(k, t)), dtype=np.int64)
    value = np.empty(best.shape, dtype=F32)
    taken = 0
    while taken < best.shape[1]:
        pick = score.argmax(axis=1)
        best[:, taken] = pick
        value[:, taken] = score[at, pick]
        taken += 1
        if not (value[:, taken - 1] > _FEASIBLE_ABOVE).any():
            break
        score[at, pick] = -np.inf
    if taken == best.shape[1] and taken < t:
        kth = value[:, taken - 1]
        tied = np.flatnonzero((score.max(axis=1) == kth) & (kth > _FEASIBLE_ABOVE))
        if tied.shape[0]:
            sub = score[tied]
            sub[np.arange(tied.shape[0])[:, None], best[tied]] = value[tied]
            best[tied], value[tied] = _break_ties(sub, kth[tied], tie_keys[tied], ids, taken)
    ok = value[:, :taken] > _FEASIBLE_ABOVE
    who = np.broadcast_to(clients[:, None], ok.shape)[ok]
    return [(who, rows[best[:, :taken][ok]], value[:, :taken][ok])]


def _break_ties(
    score: F32Array, kth: F32Array, tie_keys: IntArray, ids: IntArray, k: int
) -> tuple[IntArray, F32Array]:
    """Per row: every entry above `kth`, then the entries equal to it first in `_tie_order`,
    k in all, ordered by score (descending) then column."""
    n = score.shape[0]
    above_r, above_c = np.nonzero(score > kth[:, None])
    room = k - np.bincount(above_r, minlength=n)
    eq_r, eq_c = np.nonzero(score == kth[:, None])
    order = np.lexsort((_tie_order(tie_keys[eq_r], ids[eq_c]), eq_r))
    eq_r, eq_c = eq_r[order], eq_c[order]
    rank = np.arange(eq_r.shape[0]) - np.searchsorted(eq_r, eq_r)
    keep = rank < room[eq_r]
    r = np.concatenate([above_r, eq_r[keep]])
    c = np.concatenate([above_c, eq_c[keep]])
    v = score[r, c]
    o = np.lexsort((c, -v, r))
    return c[o].reshape(n, k), v[o].reshape(n, k)


def _tie_order(clients: IntArray, ids: IntArray) -> WordArray:
    """A fixed pseudo-random order of therapists per client (a 64-bit mix of both keys)."""
    h = clients.astype(U64) * U64(0x9E3779B97F4A7C15)
    h ^= ids.astype(U64) * U64(0xC2B2AE3D27D4EB4F)
    h ^= h >> U64(31)
    h *= U64(0xBF58476D1CE4E5B9)
    h ^= h >> U64(29)
    return h
