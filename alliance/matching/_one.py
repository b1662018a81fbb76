"""The single-query fast path of `Index.search`: one jurisdiction's columns, one query.

A live match touches only the therapists licensed in the client's jurisdiction. `Block`
keeps their columns contiguous (built once with the index), so a query runs each hard
constraint as a handful of numpy operations on the block without gathering rows first, and
`OneQuery` holds the query as plain Python scalars instead of a one-row `QueryTable`.
The constraints mean exactly what `constraints.hard_constraints` means; the property tests check
both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from alliance.matching.vocabulary import PREFERENCES

U64 = np.uint64
MASK64 = (1 << 64) - 1
PREF_BIT = {name: 1 << i for i, name in enumerate(PREFERENCES)}
# Distinct (languages, modality) prefixes kept per jurisdiction.
_PREFIX_CACHE = 64

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
WordArray = NDArray[np.uint64]


def words(mask: int, n: int) -> tuple[int, ...]:
    """A bitmask as `n` 64-bit words, lowest first."""
    return tuple((mask >> (64 * w)) & MASK64 for w in range(n))


@dataclass(frozen=True, slots=True)
class OneQuery:
    """One query encoded against an index: bit words as Python ints, as `encode` would."""

    languages: tuple[int, ...]
    modality: int
    hours: tuple[int, int, int]
    min_overlap: int
    budget: float
    insurer_word: int
    insurer_bit: int
    gender: int
    age_lo: int
    age_hi: int
    cultures: tuple[int, ...]
    approaches: tuple[int, ...]
    style: int
    stated: int
    must: int
    concerns: int
    # Domain codes of the stated concerns, ascending (the order records are summed in).
    concern_codes: tuple[int, ...]
    reason: int
    excluded: frozenset[int]


class Block:
    """The columns of the therapists licensed in one jurisdiction, contiguous.

    Word columns are stored word-major (`(words, m)`), so every word is one contiguous
    vector. `rows` are the index rows, ascending (= id order).
    """

    __slots__ = (
        "_prefix",
        "age",
        "approach",
        "avail",
        "culture",
        "faith",
        "fee",
        "gender",
        "has_room",
        "ids",
        "insurer",
        "lang",
        "lgbtq",
        "mod",
        "rows",
        "size",
        "style",
    )

    def __init__(
        self,
        rows: IntArray,
        *,
        ids: IntArray,
        lang: WordArray,
        mod: WordArray,
        free: IntArray,
        avail: WordArray,
        insurer: WordArray,
        fee: FloatArray,
        gender: WordArray,
        age: IntArray,
        faith: BoolArray,
        lgbtq: BoolArray,
        culture: WordArray,
        approach: WordArray,
        style: IntArray,
    ) -> None:
        def cols(a: WordArray) -> WordArray:
            return np.ascontiguousarray(a[rows].T)

        self.rows = rows
        self.size = int(rows.shape[0])
        self.ids = ids[rows]
        self.lang = cols(lang)
        self.mod = mod[rows]
        self.has_room = free[rows] > 0
        self.avail = cols(avail)
        self.insurer = cols(insurer)
        self.fee = fee[rows]
        self.gender = gender[rows]
        self.age = age[rows]
        self.faith = faith[rows]
        self.lgbtq = lgbtq[rows]
        self.culture = cols(culture)
        self.approach = cols(approach)
        self.style = style[rows]
        self._prefix: dict[tuple[tuple[int, ...], int], tuple[BoolArray, tuple[int, int, int]]] = {}

    def preference_met(self, name: str, q: OneQuery) -> BoolArray:
        """Does each therapist in the block meet preference `name` (as in `constraints.py`)?"""
        if name == "gender":
            return cast(BoolArray, ((U64(q.gender) >> self.gender) & U64(1)) != 0)
        if name == "age":
            return (self.age >= q.age_lo) & (self.age <= q.age_hi)
        if name == "faith_informed":
            return self.faith
        if name == "lgbtq_affirming":
            return self.lgbtq
        if name == "culture":
            return any_bits(self.culture, q.cultures)
        if name == "approach":
            return any_bits(self.approach, q.approaches)
        if name == "style":
            return cast(BoolArray, self.style == q.style)
        raise ValueError(f"unknown preference {name!r}")

    def prefix(self, q: OneQuery) -> tuple[BoolArray, tuple[int, int, int]]:
        """Who passes language, modality and capacity, and how many after each step.

        These depend only on the query's languages and modality, which most queries share,
        so they are kept per (languages, modality). Read-only: copy before changing.
        """
        key = (q.languages, q.modality)
        got = self._prefix.get(key)
        if got is None:
            alive = any_bits(self.lang, q.languages)
            n_language = int(np.count_nonzero(alive))
            alive &= (self.mod & U64(q.modality)) != 0
            n_modality = int(np.count_nonzero(alive))
            alive &= self.has_room
            alive.flags.writeable = False
            got = (alive, (n_language, n_modality, int(np.count_nonzero(alive))))
            if len(self._prefix) >= _PREFIX_CACHE:
                self._prefix.clear()
            self._prefix[key] = got
        return got

    def steps(self, q: OneQuery) -> list[tuple[str, Callable[[], BoolArray]]]:
        """The hard constraints after capacity, in funnel order, as block masks."""
        steps: list[tuple[str, Callable[[], BoolArray]]] = [
            ("schedule", lambda: self.schedule(q)),
            ("payment", lambda: self.payment(q)),
        ]
        for name in PREFERENCES:
            if q.must & PREF_BIT[name]:
                steps.append((f"must:{name}", self._met(name, q)))
        if q.excluded:
            gone = np.fromiter(q.excluded, dtype=np.int64, count=len(q.excluded))
            steps.append(("excluded", lambda: ~np.isin(self.ids, gone)))
        return steps

    def _met(self, name: str, q: OneQuery) -> Callable[[], BoolArray]:
        return lambda: self.preference_met(name, q)

    def schedule(self, q: OneQuery) -> BoolArray:
        """At least `min_overlap` of the query's hours inside each therapist's availability."""
        if q.min_overlap <= 0:
            return np.ones(self.size, dtype=bool)
        overlap: NDArray[np.uint8] | None = None
        for w, h in enumerate(q.hours):
            if h:
                n = np.bitwise_count(self.avail[w] & U64(h))
                overlap = n if overlap is None else np.add(overlap, n, out=overlap)
        if overlap is None:
            return np.zeros(self.size, dtype=bool)
        return overlap >= q.min_overlap

    def payment(self, q: OneQuery) -> BoolArray:
        if q.budget == np.inf:
            return np.ones(self.size, dtype=bool)
        by_fee = self.fee <= q.budget
        if not q.insurer_bit:
            return by_fee
        return cast(BoolArray, by_fee | ((self.insurer[q.insurer_word] & U64(q.insurer_bit)) != 0))


def any_bits(columns: WordArray, q_words: tuple[int, ...]) -> BoolArray:
    """Does each therapist (column) share at least one bit with the query's words?"""
    out: BoolArray | None = None
    for w, q in enumerate(q_words):
        if q:
            hit = (columns[w] & U64(q)) != 0
            out = hit if out is None else out | hit
    if out is None:
        return np.zeros(columns.shape[1], dtype=bool)
    return out
