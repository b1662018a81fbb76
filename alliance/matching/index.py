"""The in-memory columnar index: hard constraints as vectorised filters, scores, reasons.

`Index.build(rows)` turns therapist rows into numpy columns (bitmask words for languages,
modalities, cultures, approaches and insurers; an inverted list per jurisdiction; shrunk
records per problem domain). `Index.search(query)` filters and scores every therapist
licensed in the client's jurisdiction without a per-therapist Python loop, then explains
only the top k. The same constraints and components serve one query and a block of waiting clients
(`assign.py`), so a waiting-list offer is scored exactly like a live match.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from alliance.matching._one import Block, OneQuery
from alliance.matching.rows import ClientQuery, Evidence, TherapistRow
from alliance.matching.shrinkage import MIN_CASES, Prior, estimate_prior, pooled_within_variance
from alliance.matching.shrinkage import shrink as shrink_means
from alliance.matching.vocabulary import (
    DOMAIN_LABELS,
    DOMAINS,
    MODALITIES,
    PILLARS,
    PREFERENCE_LABELS,
    PREFERENCES,
    STYLES,
)
from alliance.matching.weights import COMPONENTS, DEFAULT_WEIGHTS, Weights

U64 = np.uint64
_MASK64 = (1 << 64) - 1
_NO_ROWS: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
_PREF_BIT = {name: 1 << i for i, name in enumerate(PREFERENCES)}
_DOMAIN_CODE = {d: i for i, d in enumerate(DOMAINS)}
_PREFERENCE = COMPONENTS.index("preference")
# A component below this contribution is too small to be worth showing as a reason.
REASON_MIN = 0.01
MAX_REASONS = 3

_T = TypeVar("_T")
_R = TypeVar("_R")
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
WordArray = NDArray[np.uint64]


# --- outputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One plain-language reason, tied to the score component it explains."""

    component: str
    text: str
    contribution: float


@dataclass(frozen=True)
class Match:
    therapist_id: int
    score: float
    components: Mapping[str, float]
    reasons: tuple[Reason, ...]
    unmet: tuple[str, ...]
    weights_version: str


@dataclass(frozen=True)
class FunnelStep:
    """How many therapists one hard constraint eliminated, in the order applied."""

    constraint: str
    text: str
    eliminated: int
    remaining: int


@dataclass(frozen=True)
class SearchResult:
    matches: tuple[Match, ...]
    funnel: tuple[FunnelStep, ...]
    index_version: str
    weights_version: str

    @property
    def excluded_by(self) -> FunnelStep | None:
        """The constraint that left nobody, so the UI can say it and offer the waiting list."""
        for step in self.funnel:
            if step.remaining == 0:
                return step
        return None


# --- encodings --------------------------------------------------------------------------


class _Vocab:
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
            [[(m >> (64 * w)) & _MASK64 for w in range(self.words)] for m in masks], dtype=U64
        ).reshape(len(masks), self.words)


def _split_hours(masks: Sequence[int]) -> WordArray:
    """168-bit hour masks as three little-endian 64-bit words each."""
    raw = b"".join([m.to_bytes(24, "little") for m in masks])
    return np.frombuffer(raw, dtype="<u8").astype(U64).reshape(len(masks), 3)


_QUERY_FIELDS = (
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


# --- the index --------------------------------------------------------------------------


class Index:
    """A read-only columnar snapshot of the therapist directory.

    Rows are sorted by therapist id, so a row number order is an id order and every tie is
    broken by id.
    """

    def __init__(
        self, rows: Sequence[TherapistRow], *, version: str, weights: Weights, min_cases: int
    ) -> None:
        rows = sorted(rows, key=lambda r: r.id)
        ids = [r.id for r in rows]
        if len(set(ids)) != len(ids):
            raise ValueError("therapist ids must be unique")
        self.version = version
        self.weights = weights
        self.min_cases = min_cases
        self.size = len(rows)
        self.ids: IntArray = np.array(ids, dtype=np.int64)

        self.jurisdictions = _Vocab(j for r in rows for j in r.jurisdictions)
        self.languages = _Vocab(x for r in rows for x in r.languages)
        self.cultures = _Vocab(x for r in rows for x in r.cultures)
        self.approaches = _Vocab(x for r in rows for x in r.approaches)
        self.insurers = _Vocab(x for r in rows for x in r.insurers)
        self.genders = _Vocab(r.gender for r in rows)
        if len(self.genders.codes) > 64:
            raise ValueError("at most 64 distinct gender values are supported")
        self.modalities = _Vocab(MODALITIES)

        postings: dict[str, list[int]] = {j: [] for j in self.jurisdictions.codes}
        for i, r in enumerate(rows):
            for j in r.jurisdictions:
                postings[j].append(i)
        self.postings: dict[str, IntArray] = {
            j: np.array(p, dtype=np.int64) for j, p in postings.items()
        }

        self.lang = self.languages.column([self.languages.bits(r.languages) for r in rows])
        self.mod = self.modalities.column([self.modalities.bits(r.modalities) for r in rows])[:, 0]
        self.culture = self.cultures.column([self.cultures.bits(r.cultures) for r in rows])
        self.approach = self.approaches.column([self.approaches.bits(r.approaches) for r in rows])
        self.insurer = self.insurers.column([self.insurers.bits(r.insurers) for r in rows])
        self.gender = np.array([self.genders.codes[r.gender] for r in rows], dtype=U64)
        self.age = np.array([r.age for r in rows], dtype=np.int64)
        self.faith = np.array([r.faith_informed for r in rows], dtype=bool)
        self.lgbtq = np.array([r.lgbtq_affirming for r in rows], dtype=bool)
        self.style = np.array(
            [STYLES.index(r.style) if r.style else -1 for r in rows], dtype=np.int64
        )
        domain_code = {d: i for i, d in enumerate(DOMAINS)}
        self.specialty = np.array(
            [sum(1 << domain_code[d] for d in r.specialties) for r in rows], dtype=U64
        )
        self.capacity = np.array([r.capacity for r in rows], dtype=np.int64)
        self.free = np.array([r.free_capacity for r in rows], dtype=np.int64)
        self.load = np.where(self.capacity > 0, self.free / np.maximum(self.capacity, 1), 0.0)
        self.avail = _split_hours([r.availability for r in rows])
        self.fee = np.array([r.fee for r in rows], dtype=np.float64)

        n, d = self.size, len(DOMAINS)
        a_ev = np.zeros((3, n, d))
        o_ev = np.zeros((3, n, d))
        p_ev = np.zeros((3, n, len(PILLARS)))

        def put(target: FloatArray, i: int, j: int, ev: Evidence) -> None:
            target[0, i, j], target[1, i, j], target[2, i, j] = ev.mean, ev.sd, ev.n

        for i, r in enumerate(rows):
            for rec in r.records:
                put(a_ev, i, domain_code[rec.domain], rec.alliance)
                put(o_ev, i, domain_code[rec.domain], rec.outcome)
            for pr in r.pillars:
                put(p_ev, i, PILLARS.index(pr.pillar), pr.evidence)
        self.alliance_z, self.alliance_n, self.alliance_priors = _shrink_columns(a_ev, min_cases)
        self.outcome_z, self.outcome_n, self.outcome_priors = _shrink_columns(o_ev, min_cases)
        self.pillar_z, self.pillar_n, self.pillar_priors = _shrink_columns(p_ev, min_cases)
        # With no stated concern, the record over all domains.
        self.alliance_mean_z = self.alliance_z.mean(axis=0)
        self.outcome_mean_z = self.outcome_z.mean(axis=0)
        # Per jurisdiction, its therapists' filter columns laid out contiguously: a live
        # match then filters without gathering rows first.
        self._blocks = {
            j: Block(
                p,
                ids=self.ids,
                lang=self.lang,
                mod=self.mod,
                free=self.free,
                avail=self.avail,
                insurer=self.insurer,
                fee=self.fee,
                gender=self.gender,
                age=self.age,
                faith=self.faith,
                lgbtq=self.lgbtq,
                culture=self.culture,
                approach=self.approach,
                style=self.style,
            )
            for j, p in self.postings.items()
        }

    @classmethod
    def build(
        cls,
        rows: Iterable[TherapistRow],
        *,
        version: str = "",
        weights: Weights = DEFAULT_WEIGHTS,
        min_cases: int = MIN_CASES,
    ) -> Index:
        return cls(list(rows), version=version, weights=weights, min_cases=min_cases)

    # --- encoding ---------------------------------------------------------------------

    def encode(self, queries: Sequence[ClientQuery]) -> QueryTable:
        """Encode queries once; values unknown to the index match nobody.

        Column by column: each distinct value (a language set, a concern set...) is encoded
        once and the column is mapped through that table, so a waiting list of 100,000
        clients costs a few passes over plain Python lists rather than a loop of calls.
        """
        # One list per field (no tuple per query: fewer objects for the collector to scan).
        return self._encode_columns(
            *[list(map(operator.attrgetter(name), queries)) for name in _QUERY_FIELDS]
        )

    def _encode_columns(
        self,
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
        ins_code = np.array(
            _mapped(insurer, lambda x: self.insurers.codes.get(x, -1) if x is not None else -1),
            dtype=np.int64,
        ).reshape(c)
        known = ins_code >= 0
        ins_word = np.where(known, ins_code // 64, 0)
        ins_bit = np.where(known, U64(1) << (np.maximum(ins_code, 0) % 64).astype(U64), U64(0))
        # With an insurer and no budget, only the insurer can pay; with neither, anyone.
        has_insurer = np.array([x is not None for x in insurer], dtype=bool).reshape(c)
        money = np.array([np.nan if x is None else x for x in budget], dtype=np.float64).reshape(c)
        money = np.where(np.isnan(money), np.where(has_insurer, -np.inf, np.inf), money)

        concern_bits = np.array(
            _mapped(concerns, lambda s: sum(1 << _DOMAIN_CODE[d] for d in s)), dtype=np.int64
        ).reshape(c)
        onehot = (concern_bits[:, None] >> np.arange(len(DOMAINS))) & 1
        n_concerns = onehot.sum(axis=1)
        # No stated concern: the therapist's record over all domains.
        concern_w = np.where(
            n_concerns[:, None] > 0,
            onehot / np.maximum(n_concerns, 1)[:, None],
            1.0 / len(DOMAINS),
        )
        ages = _mapped(age_range, lambda a: a if a is not None else (0, 200))
        age = np.array(ages, dtype=np.int64).reshape(c, 2)

        def prefs(col: Sequence[frozenset[str]]) -> IntArray:
            bits = _mapped(col, lambda s: sum(_PREF_BIT[p] for p in s))
            return np.array(bits, dtype=np.int64).reshape(c)

        return QueryTable(
            jurisdiction=np.array(
                _mapped(jurisdiction, lambda j: self.jurisdictions.codes.get(j, -1)),
                dtype=np.int64,
            ).reshape(c),
            languages=self.languages.column(_mapped(languages, self.languages.bits)),
            modality=np.array(
                _mapped(modality, lambda m: self.modalities.bits((m,))), dtype=U64
            ).reshape(c),
            hours=_split_hours(hours),
            min_overlap=np.array(min_overlap, dtype=np.int64).reshape(c),
            budget=money,
            insurer_word=ins_word,
            insurer_bit=ins_bit,
            gender=np.array(_mapped(gender, self.genders.bits), dtype=U64).reshape(c),
            age_lo=np.ascontiguousarray(age[:, 0]),
            age_hi=np.ascontiguousarray(age[:, 1]),
            cultures=self.cultures.column(_mapped(cultures, self.cultures.bits)),
            approaches=self.approaches.column(_mapped(approaches, self.approaches.bits)),
            style=np.array(
                _mapped(style, lambda x: STYLES.index(x) if x else -1), dtype=np.int64
            ).reshape(c),
            stated=prefs(stated),
            must=prefs(must_have),
            concerns=concern_bits,
            concern_weights=concern_w,
            reason=np.array(
                _mapped(switch_reason, lambda r: PILLARS.index(r) if r in PILLARS else -1),
                dtype=np.int64,
            ).reshape(c),
            excluded=tuple(excluded),
        )

    # --- evaluation -------------------------------------------------------------------

    def _constraints(
        self, qt: QueryTable, *, group_checked: bool = False
    ) -> list[tuple[str, Callable[[IntArray], BoolArray]]]:
        """The hard constraints after jurisdiction, in the order the funnel reports them.

        Each returns a (clients, therapists) mask for therapist rows `rows`. With
        `group_checked`, language, modality and capacity were already applied to the rows.
        """
        steps: list[tuple[str, Callable[[IntArray], BoolArray]]] = []
        if not group_checked:
            steps.append(("language", lambda r: _any_bits(self.lang[r], qt.languages)))
            steps.append(("modality", lambda r: (self.mod[r][None, :] & qt.modality[:, None]) != 0))
            steps.append(("capacity", lambda r: self.free[r][None, :] > 0))

        def schedule(r: IntArray) -> BoolArray:
            av = self.avail[r]
            if len(qt) == 1:
                n = np.bitwise_count(av & qt.hours[0]).sum(axis=1, dtype=np.int64)
                return cast(BoolArray, (n >= qt.min_overlap[0])[None, :])
            overlap = np.bitwise_count(av[None, :, 0] & qt.hours[:, 0, None]).astype(np.uint8)
            overlap += np.bitwise_count(av[None, :, 1] & qt.hours[:, 1, None])
            overlap += np.bitwise_count(av[None, :, 2] & qt.hours[:, 2, None])
            return cast(BoolArray, overlap >= qt.min_overlap[:, None])

        def payment(r: IntArray) -> BoolArray:
            if len(qt) == 1:
                ins_ok = (self.insurer[r, qt.insurer_word[0]] & qt.insurer_bit[0]) != 0
                return cast(BoolArray, (ins_ok | (self.fee[r] <= qt.budget[0]))[None, :])
            ins = self.insurer[r][:, qt.insurer_word].T
            ok = ((ins & qt.insurer_bit[:, None]) != 0) | (
                self.fee[r][None, :] <= qt.budget[:, None]
            )
            return cast(BoolArray, ok)

        steps.append(("schedule", schedule))
        steps.append(("payment", payment))
        for name in PREFERENCES:
            must = (qt.must & _PREF_BIT[name]) != 0
            if must.any():
                steps.append((f"must:{name}", self._must(name, qt, must)))
        if any(qt.excluded):

            def excluded(r: IntArray) -> BoolArray:
                out = np.ones((len(qt), r.shape[0]), dtype=bool)
                row_ids = self.ids[r]
                for i, ex in enumerate(qt.excluded):
                    if ex:
                        gone = np.fromiter(ex, dtype=np.int64, count=len(ex))
                        out[i] = ~np.isin(row_ids, gone)
                return out

            steps.append(("excluded", excluded))
        return steps

    def _must(self, name: str, qt: QueryTable, must: BoolArray) -> Callable[[IntArray], BoolArray]:
        return lambda r: self._preference_met(name, r, qt) | ~must[:, None]

    def _preference_met(self, name: str, rows: IntArray, qt: QueryTable) -> BoolArray:
        if name == "gender":
            return cast(
                BoolArray, ((qt.gender[:, None] >> self.gender[rows][None, :]) & U64(1)) != 0
            )
        if name == "age":
            age = self.age[rows][None, :]
            return (age >= qt.age_lo[:, None]) & (age <= qt.age_hi[:, None])
        if name == "faith_informed":
            return cast(BoolArray, self.faith[rows][None, :])
        if name == "lgbtq_affirming":
            return cast(BoolArray, self.lgbtq[rows][None, :])
        if name == "culture":
            return _any_bits(self.culture[rows], qt.cultures)
        if name == "approach":
            return _any_bits(self.approach[rows], qt.approaches)
        if name == "style":
            return cast(BoolArray, self.style[rows][None, :] == qt.style[:, None])
        raise ValueError(f"unknown preference {name!r}")

    def _components(
        self, rows: IntArray, qt: QueryTable, weights: Weights
    ) -> tuple[dict[str, FloatArray], dict[str, BoolArray], dict[str, BoolArray]]:
        """Weighted score components (clients x therapists), with preference met/nice flags."""
        c, t = len(qt), rows.shape[0]
        met: dict[str, BoolArray] = {}
        nice: dict[str, BoolArray] = {}
        fit = np.zeros((c, t))
        n_nice = np.zeros(c)
        for name in PREFERENCES:
            bit = _PREF_BIT[name]
            is_nice = ((qt.stated & bit) != 0) & ((qt.must & bit) == 0)
            if not is_nice.any():
                continue
            ok = self._preference_met(name, rows, qt)
            met[name] = ok
            nice[name] = is_nice
            fit = fit + (ok & is_nice[:, None])
            n_nice = n_nice + is_nice
        fit = fit / np.maximum(n_nice, 1.0)[:, None]

        concerns = qt.concerns.astype(U64)
        n_concerns = np.bitwise_count(concerns).astype(np.float64)
        shared = np.bitwise_count(self.specialty[rows][None, :] & concerns[:, None])
        specialty = shared / np.maximum(n_concerns, 1.0)[:, None]

        if c == 1:
            alliance = self._record_one(self.alliance_z, self.alliance_mean_z, rows, qt)
            outcome = self._record_one(self.outcome_z, self.outcome_mean_z, rows, qt)
            reason = int(qt.reason[0])
            switch = self.pillar_z[reason, rows][None, :] if reason >= 0 else np.zeros((1, t))
        else:
            alliance = qt.concern_weights @ self.alliance_z[:, rows]
            outcome = qt.concern_weights @ self.outcome_z[:, rows]
            onehot = np.zeros((c, len(PILLARS)))
            has_reason = qt.reason >= 0
            onehot[np.nonzero(has_reason)[0], qt.reason[has_reason]] = 1.0
            switch = onehot @ self.pillar_z[:, rows]
        components = {
            "preference": weights.preference * fit,
            "specialty": weights.specialty * specialty,
            "alliance": weights.alliance * alliance,
            "outcome": weights.outcome * outcome,
            "load": np.broadcast_to(weights.load * self.load[rows][None, :], (c, t)),
            "switch_reason": weights.switch_reason * switch,
        }
        return components, met, nice

    @staticmethod
    def _record_one(
        z: FloatArray, mean_z: FloatArray, rows: IntArray, qt: QueryTable
    ) -> FloatArray:
        if qt.concerns[0] == 0:
            return mean_z[rows][None, :]
        w = qt.concern_weights[0]
        acc = np.zeros(rows.shape[0])
        for d in np.flatnonzero(w):
            acc += w[d] * z[d, rows]
        return acc[None, :]

    def _score(self, components: dict[str, FloatArray]) -> FloatArray:
        score = components[COMPONENTS[0]]
        for name in COMPONENTS[1:]:
            score = score + components[name]
        return score

    def score_block(
        self, rows: IntArray, qt: QueryTable, weights: Weights, *, group_checked: bool = False
    ) -> NDArray[np.float32]:
        """Scores (float32, -inf where infeasible) for clients in `qt` x therapist `rows`.

        The waiting-list path: the same constraints and the same score as `search`, summed
        in place instead of kept per component (no reasons are needed there).
        """
        c, t = len(qt), rows.shape[0]
        f32 = np.float32
        feasible = np.ones((c, t), dtype=bool)
        for _, step in self._constraints(qt, group_checked=group_checked):
            feasible &= step(rows)
        record = (
            weights.alliance * self.alliance_z[:, rows] + weights.outcome * self.outcome_z[:, rows]
        )
        score = qt.concern_weights.astype(f32) @ record.astype(f32)
        score += (weights.load * self.load[rows]).astype(f32)[None, :]
        has_reason = qt.reason >= 0
        if weights.switch_reason and has_reason.any():
            onehot = np.zeros((c, len(PILLARS)), dtype=f32)
            onehot[np.nonzero(has_reason)[0], qt.reason[has_reason]] = 1.0
            score += onehot @ (weights.switch_reason * self.pillar_z[:, rows]).astype(f32)
        concerns = qt.concerns.astype(U64)
        if weights.specialty and concerns.any():
            n_concerns = np.maximum(np.bitwise_count(concerns), 1).astype(f32)
            shared = np.bitwise_count(self.specialty[rows][None, :] & concerns[:, None])
            score += shared * (f32(weights.specialty) / n_concerns)[:, None]
        nice_bits = qt.stated & ~qt.must
        n_nice = np.zeros(c, dtype=f32)
        for name in PREFERENCES:
            n_nice += (nice_bits & _PREF_BIT[name]) != 0
        coef_all = f32(weights.preference) / np.maximum(n_nice, 1)
        for name in PREFERENCES:
            is_nice = (nice_bits & _PREF_BIT[name]) != 0
            if weights.preference and is_nice.any():
                ok = self._preference_met(name, rows, qt)
                score += ok * np.where(is_nice, coef_all, f32(0))[:, None]
        np.copyto(score, f32(-np.inf), where=~feasible)
        return score

    def evaluate_block(
        self, rows: IntArray, qt: QueryTable, weights: Weights, *, group_checked: bool = False
    ) -> tuple[BoolArray, FloatArray]:
        """Feasibility and score for every client in `qt` x therapist row in `rows`.

        All clients share the jurisdiction that `rows` were taken from.
        """
        feasible = np.ones((len(qt), rows.shape[0]), dtype=bool)
        for _, step in self._constraints(qt, group_checked=group_checked):
            feasible &= step(rows)
        components, _, _ = self._components(rows, qt, weights)
        return feasible, self._score(components)

    # --- single query -----------------------------------------------------------------

    def _encode_one(self, q: ClientQuery) -> OneQuery:
        """One query as Python scalars, with exactly the meaning `encode` gives it."""
        code = self.insurers.codes.get(q.insurer) if q.insurer is not None else None
        ins_word, ins_bit = (code // 64, 1 << (code % 64)) if code is not None else (0, 0)
        # With an insurer and no budget, only the insurer can pay; with neither, anyone.
        if q.budget is not None:
            budget = float(q.budget)
        else:
            budget = -np.inf if q.insurer is not None else np.inf
        concerns = tuple(sorted(_DOMAIN_CODE[d] for d in q.concerns))
        hours = q.preferred_hours
        return OneQuery(
            languages=_words(self.languages.bits(q.languages), self.languages.words),
            modality=self.modalities.bits((q.modality,)),
            hours=(hours & _MASK64, (hours >> 64) & _MASK64, (hours >> 128) & _MASK64),
            min_overlap=q.min_overlap_hours,
            budget=budget,
            insurer_word=ins_word,
            insurer_bit=ins_bit,
            gender=self.genders.bits(q.gender),
            age_lo=q.age_range[0] if q.age_range else 0,
            age_hi=q.age_range[1] if q.age_range else 200,
            cultures=_words(self.cultures.bits(q.cultures), self.cultures.words),
            approaches=_words(self.approaches.bits(q.approaches), self.approaches.words),
            style=STYLES.index(q.style) if q.style else -1,
            stated=sum(_PREF_BIT[p] for p in q.stated),
            must=sum(_PREF_BIT[p] for p in q.must_have),
            concerns=sum(1 << d for d in concerns),
            concern_codes=concerns,
            reason=PILLARS.index(q.switch_reason) if q.switch_reason in PILLARS else -1,
            excluded=q.excluded,
        )

    def search(
        self, query: ClientQuery, k: int = 10, *, weights: Weights | None = None
    ) -> SearchResult:
        """The k best therapists passing every hard constraint, each with its reasons."""
        if k < 1:
            raise ValueError("k must be >= 1")
        w = weights or self.weights
        q = self._encode_one(query)
        block = self._blocks.get(query.jurisdiction)
        m = block.size if block is not None else 0
        funnel = [FunnelStep("jurisdiction", f"licensed in {query.jurisdiction}", self.size - m, m)]
        rows = _NO_ROWS
        if block is not None:
            # Each constraint is a mask over the whole block; `alive` is what passed so far,
            # counted after each step for the funnel. Steps stop once nobody is left.
            prefix, counts = block.prefix(q)
            left = m
            for name, now in zip(("language", "modality", "capacity"), counts, strict=True):
                funnel.append(FunnelStep(name, _constraint_text(name, query), left - now, now))
                left = now
            alive = prefix.copy()
            for name, step in block.steps(q):
                now = int(np.count_nonzero(np.logical_and(alive, step(), out=alive))) if left else 0
                funnel.append(FunnelStep(name, _constraint_text(name, query), left - now, now))
                left = now
            if left:
                rows = block.rows[alive]
        else:
            for name in self._step_names(q):
                funnel.append(FunnelStep(name, _constraint_text(name, query), 0, 0))
        components, met = self._components_one(rows, q, w)
        score = components[0] + components[1]
        for c in range(2, len(COMPONENTS)):
            score += components[c]
        picked = _top_positions(score, k)
        matches = self._explain(query, q, rows, picked, components, met, w)
        return SearchResult(matches, tuple(funnel), self.version, w.version)

    @staticmethod
    def _step_names(q: OneQuery) -> list[str]:
        """The funnel's steps for a query (the same list `Block.steps` evaluates)."""
        names = ["language", "modality", "capacity", "schedule", "payment"]
        names += [f"must:{p}" for p in PREFERENCES if q.must & _PREF_BIT[p]]
        if q.excluded:
            names.append("excluded")
        return names

    def top_k(
        self, query: ClientQuery, k: int = 10, *, weights: Weights | None = None
    ) -> list[Match]:
        return list(self.search(query, k, weights=weights).matches)

    def features(self, query: ClientQuery, therapist_ids: Sequence[int]) -> FloatArray:
        """Unweighted score components (columns in `COMPONENTS` order), for learning."""
        wanted = np.asarray(therapist_ids, dtype=np.int64)
        rows = np.searchsorted(self.ids, wanted)
        if np.any(rows >= self.size) or np.any(self.ids[np.minimum(rows, self.size - 1)] != wanted):
            raise KeyError("unknown therapist id")
        unit = Weights(version="unit", **{name: 1.0 for name in COMPONENTS})
        components, _ = self._components_one(rows, self._encode_one(query), unit)
        return np.ascontiguousarray(components.T)

    def _components_one(
        self, rows: IntArray, q: OneQuery, weights: Weights
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
            if nice_bits & _PREF_BIT[name]:
                ok = self._met_one(name, rows, q)
                met[name] = ok
                fit = ok.astype(np.float64) if fit is None else fit + ok
                n_nice += 1
        if fit is None:
            out[0] = 0.0
        else:
            np.multiply(weights.preference, fit / float(n_nice), out=out[0])

        codes = q.concern_codes
        if codes:
            shared = np.bitwise_count(self.specialty[rows] & U64(q.concerns))
            np.multiply(weights.specialty, shared / float(len(codes)), out=out[1])
            # The records averaged over the client's concerns, summed in domain order.
            share = 1.0 / len(codes)
            alliance, outcome = np.zeros(t), np.zeros(t)
            for d in codes:
                alliance += share * self.alliance_z[d, rows]
                outcome += share * self.outcome_z[d, rows]
        else:
            out[1] = 0.0
            alliance, outcome = self.alliance_mean_z[rows], self.outcome_mean_z[rows]
        np.multiply(weights.alliance, alliance, out=out[2])
        np.multiply(weights.outcome, outcome, out=out[3])
        np.multiply(weights.load, self.load[rows], out=out[4])
        if q.reason >= 0:
            np.multiply(weights.switch_reason, self.pillar_z[q.reason, rows], out=out[5])
        else:
            out[5] = 0.0
        return out, met

    def _met_one(self, name: str, rows: IntArray, q: OneQuery) -> BoolArray:
        if name == "gender":
            return cast(BoolArray, ((U64(q.gender) >> self.gender[rows]) & U64(1)) != 0)
        if name == "age":
            age = self.age[rows]
            return (age >= q.age_lo) & (age <= q.age_hi)
        if name == "faith_informed":
            return self.faith[rows]
        if name == "lgbtq_affirming":
            return self.lgbtq[rows]
        if name == "culture":
            return _any_word_bits(self.culture[rows], q.cultures)
        if name == "approach":
            return _any_word_bits(self.approach[rows], q.approaches)
        if name == "style":
            return cast(BoolArray, self.style[rows] == q.style)
        raise ValueError(f"unknown preference {name!r}")

    def _explain(
        self,
        query: ClientQuery,
        q: OneQuery,
        rows: IntArray,
        picked: IntArray,
        components: FloatArray,
        met: dict[str, BoolArray],
        weights: Weights,
    ) -> tuple[Match, ...]:
        if picked.shape[0] == 0:
            return ()
        values = components[:, picked].T.tolist()
        top = rows[picked]
        ids = self.ids[top].tolist()
        nice = list(met)
        flags = unmet_flags = None
        if nice:
            stacked = np.stack([met[p][picked] for p in nice])
            flags, unmet_flags = stacked.T.tolist(), (~stacked).T.tolist()
        facts = _ReasonTexts(self, query, q, top)
        texts: dict[int, list[str]] = {}
        matches = []
        for j, vals in enumerate(values):
            score = 0.0
            for v in vals:
                score += v
            # Largest first, ties in component order.
            ranked = sorted([(-v, i) for i, v in enumerate(vals) if v >= REASON_MIN])
            met_nice: tuple[str, ...] = ()
            unmet: tuple[str, ...] = ()
            if flags is not None and unmet_flags is not None:
                met_nice = tuple(itertools.compress(nice, flags[j]))
                unmet = tuple(itertools.compress(nice, unmet_flags[j]))
            reasons = []
            for _, i in ranked[:MAX_REASONS]:
                if i == _PREFERENCE:
                    text = _preference_text(met_nice)
                else:
                    got = texts.get(i)
                    if got is None:
                        got = texts[i] = facts.texts(COMPONENTS[i])
                    text = got[j]
                reasons.append(Reason(COMPONENTS[i], text, vals[i]))
            comp = dict(zip(COMPONENTS, vals, strict=True))
            matches.append(Match(ids[j], score, comp, tuple(reasons), unmet, weights.version))
        return tuple(matches)

    # --- records page -----------------------------------------------------------------

    def priors(self) -> dict[str, tuple[Prior, ...]]:
        """Per-domain practice priors (alliance, outcome) and per-pillar priors."""
        return {
            "alliance": self.alliance_priors,
            "outcome": self.outcome_priors,
            "pillars": self.pillar_priors,
        }


def _shrink_columns(
    ev: FloatArray, min_cases: int
) -> tuple[FloatArray, IntArray, tuple[Prior, ...]]:
    """Per column: estimate the prior, shrink, and express as SDs of client-level spread."""
    means, sds, ns = ev[0], ev[1], ev[2].astype(np.int64)
    z = np.zeros_like(means)
    priors = []
    for j in range(means.shape[1]):
        within = pooled_within_variance(sds[:, j], ns[:, j])
        prior = estimate_prior(means[:, j], ns[:, j], within)
        post = shrink_means(means[:, j], ns[:, j], prior, min_cases=min_cases)
        if within > 0:
            z[:, j] = (post.mean - prior.mean) / np.sqrt(within)
        priors.append(prior)
    return np.ascontiguousarray(z.T), np.ascontiguousarray(ns.T), tuple(priors)


class _ReasonTexts:
    """The reasons of the picked therapists, one component at a time for all of them.

    The records behind a reason are read for all picked rows at once, and the sentences are
    memoised on what they say: a handful of distinct sentences cover almost every match.
    """

    def __init__(self, index: Index, query: ClientQuery, q: OneQuery, top: IntArray) -> None:
        self.index = index
        self.query = query
        self.q = q
        self.top = top
        self._records: list[tuple[list[int], list[int]]] | None = None

    def _read_records(self) -> list[tuple[list[int], list[int]]]:
        """Alliance and outcome together: per picked therapist, the concerns (a bitmask)
        where the record is above the practice mean, and the cases behind them."""
        index, top = self.index, self.top
        domains = np.array(self.q.concern_codes or range(len(DOMAINS)), dtype=np.int64)
        z = np.stack([index.alliance_z[:, top], index.outcome_z[:, top]])[:, domains]
        n = np.stack([index.alliance_n[:, top], index.outcome_n[:, top]])[:, domains]
        strong = z > 0
        masks = (strong * (np.int64(1) << domains)[None, :, None]).sum(axis=1).tolist()
        cases = (strong * n).sum(axis=1).tolist()
        return [(masks[0], cases[0]), (masks[1], cases[1])]

    def texts(self, name: str) -> list[str]:
        """The reason for component `name` (not the preference fit), per picked therapist."""
        k = self.top.shape[0]
        index, q = self.index, self.q
        if name == "specialty":
            spec = (index.specialty[self.top] & U64(q.concerns)).astype(np.int64)
            return [_specialty_text(m) for m in spec.tolist()]
        if name in ("alliance", "outcome"):
            if self._records is None:
                self._records = self._read_records()
            masks, cases = self._records[0 if name == "alliance" else 1]
            has = bool(q.concern_codes)
            return [_record_text(name, m, c, has) for m, c in zip(masks, cases, strict=True)]
        if name == "load":
            return ["Has room in their caseload now"] * k
        if name == "switch_reason":
            text = _SWITCH_TEXT.get(
                self.query.switch_reason or "", "A strong record on what you said was missing"
            )
            return [text] * k
        raise ValueError(f"unknown component {name!r}")


_SWITCH_TEXT = {
    "bond": "Clients often say they feel understood: a strong bond record",
    "goals": "A strong record of agreeing goals with clients",
    "tasks": "A strong record of agreeing with clients how to work together",
}


def _domain_labels(mask: int) -> list[str]:
    return [DOMAIN_LABELS[d] for i, d in enumerate(DOMAINS) if mask >> i & 1]


@functools.lru_cache(maxsize=1024)
def _preference_text(met_nice: tuple[str, ...]) -> str:
    return "Fits what you asked for: " + _join([PREFERENCE_LABELS[p] for p in met_nice])


@functools.lru_cache(maxsize=4096)
def _specialty_text(mask: int) -> str:
    return "Works with " + _join(_domain_labels(mask))


@functools.lru_cache(maxsize=16384)
def _record_text(name: str, strong: int, cases: int, has_concerns: bool) -> str:
    where = _join(_domain_labels(strong)) if has_concerns else "any concern"
    if name == "alliance":
        return (
            f"Clients coming for {where} rated their early working relationship "
            f"above the practice average ({cases} clients, adjusted for the amount "
            "of evidence)"
        )
    return (
        f"Clients coming for {where} improved more than expected for where they "
        f"started ({cases} clients, adjusted for the amount of evidence)"
    )


def _words(mask: int, n: int) -> tuple[int, ...]:
    """A bitmask as `n` 64-bit words, lowest first."""
    return tuple((mask >> (64 * w)) & _MASK64 for w in range(n))


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


def _top_positions(score: FloatArray, k: int) -> IntArray:
    """Positions of the k best scores, ties broken by position (= by id)."""
    cand = np.arange(score.shape[0])
    if cand.shape[0] > k:
        s = score[cand]
        kth = np.partition(s, s.shape[0] - k)[s.shape[0] - k]
        cand = cand[s >= kth]
    order = np.lexsort((cand, -score[cand]))
    return cand[order[:k]]


def _join(items: Sequence[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _constraint_text(name: str, query: ClientQuery) -> str:
    if name.startswith("must:"):
        return f"must-have: {PREFERENCE_LABELS[name[5:]]}"
    if name == "language":
        return "speaks " + _join(sorted(query.languages))
    if name == "modality":
        return f"offers {query.modality}"
    if name == "schedule":
        return f"at least {query.min_overlap_hours} of your preferred hours free"
    return _STEP_TEXT.get(name, name)


_STEP_TEXT = {
    "capacity": "has a free place",
    "payment": "within your budget or accepting your insurer",
    "excluded": "not a therapist you left or excluded",
}
