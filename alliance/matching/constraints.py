"""The hard constraints and the preference tests, over the rows of one index.

`hard_constraints` evaluates a block of waiting clients (a `QueryTable`) against therapist
rows as (clients, therapists) masks; `preference_met_one` is one query's test. A live match
filters with `Block` (`_one.py`), whose constraints mean exactly the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import numpy as np

from alliance.matching._one import OneQuery
from alliance.matching.encoding import (
    PREF_BIT,
    U64,
    BoolArray,
    IntArray,
    QueryTable,
    WordArray,
)
from alliance.matching.vocabulary import PREFERENCES

if TYPE_CHECKING:
    from alliance.matching.index import Index

Constraint = Callable[[IntArray], BoolArray]


def hard_constraints(
    index: Index, qt: QueryTable, *, group_checked: bool = False
) -> list[tuple[str, Constraint]]:
    """The hard constraints after jurisdiction, in the order the funnel reports them.

    Each returns a (clients, therapists) mask for therapist rows `rows`. With
    `group_checked`, language, modality and capacity were already applied to the rows.
    """
    steps: list[tuple[str, Constraint]] = []
    if not group_checked:
        steps.append(("language", lambda r: _any_bits(index.lang[r], qt.languages)))
        steps.append(("modality", lambda r: (index.mod[r][None, :] & qt.modality[:, None]) != 0))
        steps.append(("capacity", lambda r: index.free[r][None, :] > 0))

    def schedule(r: IntArray) -> BoolArray:
        av = index.avail[r]
        if len(qt) == 1:
            n = np.bitwise_count(av & qt.hours[0]).sum(axis=1, dtype=np.int64)
            return cast(BoolArray, (n >= qt.min_overlap[0])[None, :])
        overlap = np.bitwise_count(av[None, :, 0] & qt.hours[:, 0, None]).astype(np.uint8)
        overlap += np.bitwise_count(av[None, :, 1] & qt.hours[:, 1, None])
        overlap += np.bitwise_count(av[None, :, 2] & qt.hours[:, 2, None])
        return cast(BoolArray, overlap >= qt.min_overlap[:, None])

    def payment(r: IntArray) -> BoolArray:
        if len(qt) == 1:
            ins_ok = (index.insurer[r, qt.insurer_word[0]] & qt.insurer_bit[0]) != 0
            return cast(BoolArray, (ins_ok | (index.fee[r] <= qt.budget[0]))[None, :])
        ins = index.insurer[r][:, qt.insurer_word].T
        ok = ((ins & qt.insurer_bit[:, None]) != 0) | (index.fee[r][None, :] <= qt.budget[:, None])
        return cast(BoolArray, ok)

    steps.append(("schedule", schedule))
    steps.append(("payment", payment))
    for name in PREFERENCES:
        must = (qt.must & PREF_BIT[name]) != 0
        if must.any():
            steps.append((f"must:{name}", _must(index, name, qt, must)))
    if any(qt.excluded):

        def excluded(r: IntArray) -> BoolArray:
            out = np.ones((len(qt), r.shape[0]), dtype=bool)
            row_ids = index.ids[r]
            for i, ex in enumerate(qt.excluded):
                if ex:
                    gone = np.fromiter(ex, dtype=np.int64, count=len(ex))
                    out[i] = ~np.isin(row_ids, gone)
            return out

        steps.append(("excluded", excluded))
    return steps


def _must(index: Index, name: str, qt: QueryTable, must: BoolArray) -> Constraint:
    return lambda r: preference_met(index, name, r, qt) | ~must[:, None]


def preference_met(index: Index, name: str, rows: IntArray, qt: QueryTable) -> BoolArray:
    if name == "gender":
        return cast(BoolArray, ((qt.gender[:, None] >> index.gender[rows][None, :]) & U64(1)) != 0)
    if name == "age":
        age = index.age[rows][None, :]
        return (age >= qt.age_lo[:, None]) & (age <= qt.age_hi[:, None])
    if name == "faith_informed":
        return cast(BoolArray, index.faith[rows][None, :])
    if name == "lgbtq_affirming":
        return cast(BoolArray, index.lgbtq[rows][None, :])
    if name == "culture":
        return _any_bits(index.culture[rows], qt.cultures)
    if name == "approach":
        return _any_bits(index.approach[rows], qt.approaches)
    if name == "style":
        return cast(BoolArray, index.style[rows][None, :] == qt.style[:, None])
    raise ValueError(f"unknown preference {name!r}")


def preference_met_one(index: Index, name: str, rows: IntArray, q: OneQuery) -> BoolArray:
    """Does each therapist row meet preference `name` of one query?"""
    if name == "gender":
        return cast(BoolArray, ((U64(q.gender) >> index.gender[rows]) & U64(1)) != 0)
    if name == "age":
        age = index.age[rows]
        return (age >= q.age_lo) & (age <= q.age_hi)
    if name == "faith_informed":
        return index.faith[rows]
    if name == "lgbtq_affirming":
        return index.lgbtq[rows]
    if name == "culture":
        return _any_word_bits(index.culture[rows], q.cultures)
    if name == "approach":
        return _any_word_bits(index.approach[rows], q.approaches)
    if name == "style":
        return cast(BoolArray, index.style[rows] == q.style)
    raise ValueError(f"unknown preference {name!r}")


def step_names(q: OneQuery) -> list[str]:
    """The funnel's steps for a query (the same list `Block.steps` evaluates)."""
    names = ["language", "modality", "capacity", "schedule", "payment"]
    names += [f"must:{p}" for p in PREFERENCES if q.must & PREF_BIT[p]]
    if q.excluded:
        names.append("excluded")
    return names


def _any_bits(t_words: WordArray, q_words: WordArray) -> BoolArray:
    """(c, t): does client c share at least one bit with therapist t? t_words (t, W)."""
    out: BoolArray | None = None
    for w in range(t_words.shape[1]):
        q = q_words[:, w]
        if not q.any():
            continue
        hit = (t_words[None, :, w] & q[:, None]) != 0
        out = hit if out is None else out | hit
    if out is None:
        return np.zeros((q_words.shape[0], t_words.shape[0]), dtype=bool)
    return out


def _any_word_bits(t_words: WordArray, q_words: tuple[int, ...]) -> BoolArray:
    """Does each therapist row of `t_words` (t, W) share a bit with the query's words?"""
    out: BoolArray | None = None
    for w, qw in enumerate(q_words):
        if qw:
            hit = (t_words[:, w] & U64(qw)) != 0
            out = hit if out is None else out | hit
    if out is None:
        return np.zeros(t_words.shape[0], dtype=bool)
    return out
