"""Queries and therapist attributes encoded as bit words against one index's vocabularies.

Sets of strings (languages, cultures, insurers...) become bitmask words over the index's
vocabularies; a waiting list becomes a `QueryTable` (one column per field) and a live query a
`OneQuery` of plain Python scalars, with exactly the same meaning.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

from alliance.matching._one import OneQuery, words
from alliance.matching.rows import ClientQuery
from alliance.matching.vocabulary import DOMAINS, PILLARS, PREFERENCES, STYLES

if TYPE_CHECKING:
    from alliance.matching.index import Index

U64 = np.uint64
MASK64 = (1 << 64) - 1
PREF_BIT = {name: 1 << i for i, name in enumerate(PREFERENCES)}
DOMAIN_CODE = {d: i for i, d in enumerate(DOMAINS)}

_T = TypeVar("_T")
_R = TypeVar("_R")
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
WordArray = NDArray[np.uint64]


class Vocab:
    """Maps strings to bit positions, packed into `words` uint64 words per row."""

    def __init__(self, values: Iterable[str]) -> None:
        self.codes = {v: i for i, v in enumerate(sorted(set(values)))}
        self.words = max(1, (len(self.codes) + 63) // 64)

        self._cache: dict[frozenset[str], int] = {}

    def bits(self, values: Iterable[str]) -> int:
        key = values if isinstance(values, frozenset) else frozenset(values)
        mask = self._cache.get(key)
        if mask is None:
            mask = 0
            for v in key:
                code = self.codes.get(v)
                if code is not None:
                    mask |= 1 << code
            if len(self._cache) < 100_000:
                self._cache[key] = mask
        return mask

    def column(self, masks: Sequence[int]) -> WordArray:
        if self.words == 1:
            return np.array(masks, dtype=U64).reshape(len(masks), 1)
        return np.array(
            [[(m >> (64 * w)) & MASK64 for w in range(self.words)] for m in masks], dtype=U64
        ).reshape(len(masks), self.words)


def split_hours(masks: Sequence[int]) -> WordArray:
    """168-bit hour masks as three little-endian 64-bit words each."""
    raw = b"".join([m.to_bytes(24, "little") for m in masks])
    return np.frombuffer(raw, dtype="<u8").astype(U64).reshape(len(masks), 3)


QUERY_FIELDS = (
    "jurisdiction",
    "languages",
    "modality",
    "preferred_hours",
    "min_overlap_hours",
    "budget",
    "insurer",
    "concerns",
    "gender",
    "age_range",
    "cultures",
    "approaches",
    "style",
    "stated",
    "must_have",
    "switch_reason",
    "excluded",
)


class _Memo(dict[_T, _R]):
    def __init__(self, encode: Callable[[_T], _R]) -> None:
        super().__init__()
        self.encode = encode

    def __missing__(self, key: _T) -> _R:
        value = self[key] = self.encode(key)
        return value


def _mapped(values: Sequence[_T], encode: Callable[[_T], _R]) -> list[_R]:
    """`[encode(v) for v in values]`, calling `encode` once per distinct value."""
    return list(map(_Memo(encode).__getitem__, values))


@dataclass(frozen=True)
class QueryTable:
    """Queries encoded against one index, one entry per client (columnar)."""

    jurisdiction: IntArray
    languages: WordArray
    modality: WordArray
    hours: WordArray
    min_overlap: IntArray
    budget: FloatArray
    insurer_word: IntArray
    insurer_bit: WordArray
    gender: WordArray
    age_lo: IntArray
    age_hi: IntArray
    cultures: WordArray
    approaches: WordArray
    style: IntArray
    stated: IntArray
    must: IntArray
    concerns: IntArray
    concern_weights: FloatArray
    reason: IntArray
    excluded: tuple[frozenset[int], ...]

    def __len__(self) -> int:
        return int(self.jurisdiction.shape[0])

    def take(self, sel: IntArray) -> QueryTable:
        fields = {
            name: getattr(self, name)[sel]
            for name in self.__dataclass_fields__
            if name != "excluded"
        }
        return QueryTable(**fields, excluded=tuple(self.excluded[int(i)] for i in sel))


# --- a waiting list ---------------------------------------------------------------------


def encode_queries(index: Index, queries: Sequence[ClientQuery]) -> QueryTable:
    """Encode queries once; values unknown to the index match nobody.

    Column by column: each distinct value (a language set, a concern set...) is encoded
    once and the column is mapped through that table, so a waiting list of 100,000
    clients costs a few passes over plain Python lists rather than a loop of calls.
    """
    # One list per field (no tuple per query: fewer objects for the collector to scan).
    return _encode_columns(
        index, *[list(map(operator.attrgetter(name), queries)) for name in QUERY_FIELDS]
    )


def _encode_columns(
    index: Index,
    jurisdiction: Sequence[str],
    languages: Sequence[frozenset[str]],
    modality: Sequence[str],
    hours: Sequence[int],
    min_overlap: Sequence[int],
    budget: Sequence[float | None],
    insurer: Sequence[str | None],
    concerns: Sequence[frozenset[str]],
    gender: Sequence[frozenset[str]],
    age_range: Sequence[tuple[int, int] | None],
    cultures: Sequence[frozenset[str]],
    approaches: Sequence[frozenset[str]],
    style: Sequence[str | None],
    stated: Sequence[frozenset[str]],
    must_have: Sequence[frozenset[str]],
    switch_reason: Sequence[str | None],
    excluded: Sequence[frozenset[int]],
) -> QueryTable:
    c = len(jurisdiction)
    ins_word, ins_bit, money = _payment_columns(index, insurer, budget, c)
    concern_bits, concern_w = _concern_columns(concerns, c)
    ages = _mapped(age_range, lambda a: a if a is not None else (0, 200))
    age = np.array(ages, dtype=np.int64).reshape(c, 2)
    return QueryTable(
        jurisdiction=np.array(
            _mapped(jurisdiction, lambda j: index.jurisdictions.codes.get(j, -1)),
            dtype=np.int64,
        ).reshape(c),
        languages=index.languages.column(_mapped(languages, index.languages.bits)),
        modality=np.array(
            _mapped(modality, lambda m: index.modalities.bits((m,))), dtype=U64
        ).reshape(c),
        hours=split_hours(hours),
        min_overlap=np.array(min_overlap, dtype=np.int64).reshape(c),
        budget=money,
        insurer_word=ins_word,
        insurer_bit=ins_bit,
        gender=np.array(_mapped(gender, index.genders.bits), dtype=U64).reshape(c),
        age_lo=np.ascontiguousarray(age[:, 0]),
        age_hi=np.ascontiguousarray(age[:, 1]),
        cultures=index.cultures.column(_mapped(cultures, index.cultures.bits)),
        approaches=index.approaches.column(_mapped(approaches, index.approaches.bits)),
        style=np.array(
            _mapped(style, lambda x: STYLES.index(x) if x else -1), dtype=np.int64
        ).reshape(c),
        stated=_preference_bits(stated, c),
        must=_preference_bits(must_have, c),
        concerns=concern_bits,
        concern_weights=concern_w,
        reason=np.array(
            _mapped(switch_reason, lambda r: PILLARS.index(r) if r in PILLARS else -1),
            dtype=np.int64,
        ).reshape(c),
        excluded=tuple(excluded),
    )


def _payment_columns(
    index: Index, insurer: Sequence[str | None], budget: Sequence[float | None], c: int
) -> tuple[IntArray, WordArray, FloatArray]:
    """The insurer as (word, bit) and the budget, for the payment constraint."""
    ins_code = np.array(
        _mapped(insurer, lambda x: index.insurers.codes.get(x, -1) if x is not None else -1),
        dtype=np.int64,
    ).reshape(c)
    known = ins_code >= 0
    ins_word = np.where(known, ins_code // 64, 0)
    ins_bit = np.where(known, U64(1) << (np.maximum(ins_code, 0) % 64).astype(U64), U64(0))
    # With an insurer and no budget, only the insurer can pay; with neither, anyone.
    has_insurer = np.array([x is not None for x in insurer], dtype=bool).reshape(c)
    money = np.array([np.nan if x is None else x for x in budget], dtype=np.float64).reshape(c)
    money = np.where(np.isnan(money), np.where(has_insurer, -np.inf, np.inf), money)
    return ins_word, ins_bit, money


def _concern_columns(concerns: Sequence[frozenset[str]], c: int) -> tuple[IntArray, FloatArray]:
    """The concerns as domain bits, and the weight of each domain in the client's record."""
    concern_bits = np.array(
        _mapped(concerns, lambda s: sum(1 << DOMAIN_CODE[d] for d in s)), dtype=np.int64
    ).reshape(c)
    onehot = (concern_bits[:, None] >> np.arange(len(DOMAINS))) & 1
    n_concerns = onehot.sum(axis=1)
    # No stated concern: the therapist's record over all domains.
    concern_w = np.where(
        n_concerns[:, None] > 0,
        onehot / np.maximum(n_concerns, 1)[:, None],
        1.0 / len(DOMAINS),
    )
    return concern_bits, concern_w


def _preference_bits(col: Sequence[frozenset[str]], c: int) -> IntArray:
    bits = _mapped(col, lambda s: sum(PREF_BIT[p] for p in s))
    return np.array(bits, dtype=np.int64).reshape(c)


# --- a single query ---------------------------------------------------------------------


def encode_one(index: Index, q: ClientQuery) -> OneQuery:
    """One query as Python scalars, with exactly the meaning `encode_queries` gives it."""
    code = index.insurers.codes.get(q.insurer) if q.insurer is not None else None
    ins_word, ins_bit = (code // 64, 1 << (code % 64)) if code is not None else (0, 0)
    # With an insurer and no budget, only the insurer can pay; with neither, anyone.
    if q.budget is not None:
        budget = float(q.budget)
    else:
        budget = -np.inf if q.insurer is not None else np.inf
    concerns = tuple(sorted(DOMAIN_CODE[d] for d in q.concerns))
    hours = q.preferred_hours
    return OneQuery(
        languages=words(index.languages.bits(q.languages), index.languages.words),
        modality=index.modalities.bits((q.modality,)),
        hours=(hours & MASK64, (hours >> 64) & MASK64, (hours >> 128) & MASK64),
        min_overlap=q.min_overlap_hours,
        budget=budget,
        insurer_word=ins_word,
        insurer_bit=ins_bit,
        gender=index.genders.bits(q.gender),
        age_lo=q.age_range[0] if q.age_range else 0,
        age_hi=q.age_range[1] if q.age_range else 200,
        cultures=words(index.cultures.bits(q.cultures), index.cultures.words),
        approaches=words(index.approaches.bits(q.approaches), index.approaches.words),
        style=STYLES.index(q.style) if q.style else -1,
        stated=sum(PREF_BIT[p] for p in q.stated),
        must=sum(PREF_BIT[p] for p in q.must_have),
        concerns=sum(1 << d for d in concerns),
        concern_codes=concerns,
        reason=PILLARS.index(q.switch_reason) if q.switch_reason in PILLARS else -1,
        excluded=q.excluded,
    )
