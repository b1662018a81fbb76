"""The in-memory columnar index: hard constraints as vectorised filters, scores, reasons.

`Index.build(rows)` turns therapist rows into numpy columns (bitmask words for languages,
modalities, cultures, approaches and insurers; an inverted list per jurisdiction; shrunk
records per problem domain). `Index.search(query)` filters and scores every therapist
licensed in the client's jurisdiction without a per-therapist Python loop, then explains
only the top k. The same constraints and components serve one query and a block of waiting clients
(`assign.py`), so a waiting-list offer is scored exactly like a live match.

The pieces live beside it: `encoding.py` (queries as bit words), `constraints.py` (the hard
constraints), `scores.py` (the score components), `reasons.py` (the texts) and `results.py`
(what a search returns).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from alliance.matching import scores
from alliance.matching._one import Block, OneQuery
from alliance.matching.constraints import step_names
from alliance.matching.encoding import (
    DOMAIN_CODE,
    U64,
    BoolArray,
    FloatArray,
    IntArray,
    QueryTable,
    Vocab,
    encode_one,
    encode_queries,
    split_hours,
)
from alliance.matching.reasons import constraint_text, explain
from alliance.matching.results import FunnelStep, Match, SearchResult
from alliance.matching.rows import ClientQuery, Evidence, TherapistRow
from alliance.matching.shrinkage import MIN_CASES, Prior, shrink_columns
from alliance.matching.vocabulary import DOMAINS, MODALITIES, PILLARS, STYLES
from alliance.matching.weights import COMPONENTS, DEFAULT_WEIGHTS, Weights

_NO_ROWS: IntArray = np.zeros(0, dtype=np.int64)


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
        self._build_vocabularies(rows)
        self._build_columns(rows)
        self._build_records(rows, min_cases)
        # Per jurisdiction, its therapists' filter columns laid out contiguously: a live
        # match then filters without gathering rows first.
        self._blocks = self._jurisdiction_blocks()

    def _build_vocabularies(self, rows: Sequence[TherapistRow]) -> None:
        self.jurisdictions = Vocab(j for r in rows for j in r.jurisdictions)
        self.languages = Vocab(x for r in rows for x in r.languages)
        self.cultures = Vocab(x for r in rows for x in r.cultures)
        self.approaches = Vocab(x for r in rows for x in r.approaches)
        self.insurers = Vocab(x for r in rows for x in r.insurers)
        self.genders = Vocab(r.gender for r in rows)
        if len(self.genders.codes) > 64:
            raise ValueError("at most 64 distinct gender values are supported")
        self.modalities = Vocab(MODALITIES)

        postings: dict[str, list[int]] = {j: [] for j in self.jurisdictions.codes}
        for i, r in enumerate(rows):
            for j in r.jurisdictions:
                postings[j].append(i)
        self.postings: dict[str, IntArray] = {
            j: np.array(p, dtype=np.int64) for j, p in postings.items()
        }

    def _build_columns(self, rows: Sequence[TherapistRow]) -> None:
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
        self.specialty = np.array(
            [sum(1 << DOMAIN_CODE[d] for d in r.specialties) for r in rows], dtype=U64
        )
        self.capacity = np.array([r.capacity for r in rows], dtype=np.int64)
        self.free = np.array([r.free_capacity for r in rows], dtype=np.int64)
        self.load = np.where(self.capacity > 0, self.free / np.maximum(self.capacity, 1), 0.0)
        self.avail = split_hours([r.availability for r in rows])
        self.fee = np.array([r.fee for r in rows], dtype=np.float64)

    def _build_records(self, rows: Sequence[TherapistRow], min_cases: int) -> None:
        """The shrunk alliance and outcome records per domain, and the pillar records."""
        n, d = self.size, len(DOMAINS)
        a_ev = np.zeros((3, n, d))
        o_ev = np.zeros((3, n, d))
        p_ev = np.zeros((3, n, len(PILLARS)))

        def put(target: FloatArray, i: int, j: int, ev: Evidence) -> None:
            target[0, i, j], target[1, i, j], target[2, i, j] = ev.mean, ev.sd, ev.n

        for i, r in enumerate(rows):
            for rec in r.records:
                put(a_ev, i, DOMAIN_CODE[rec.domain], rec.alliance)
                put(o_ev, i, DOMAIN_CODE[rec.domain], rec.outcome)
            for pr in r.pillars:
                put(p_ev, i, PILLARS.index(pr.pillar), pr.evidence)
        self.alliance_z, self.alliance_n, self.alliance_priors = shrink_columns(a_ev, min_cases)
        self.outcome_z, self.outcome_n, self.outcome_priors = shrink_columns(o_ev, min_cases)
        self.pillar_z, self.pillar_n, self.pillar_priors = shrink_columns(p_ev, min_cases)
        # With no stated concern, the record over all domains.
        self.alliance_mean_z = self.alliance_z.mean(axis=0)
        self.outcome_mean_z = self.outcome_z.mean(axis=0)

    def _jurisdiction_blocks(self) -> dict[str, Block]:
        return {
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
        """Encode queries once; values unknown to the index match nobody (`encode_queries`)."""
        return encode_queries(self, queries)

    def _encode_one(self, q: ClientQuery) -> OneQuery:
        """One query as Python scalars, with exactly the meaning `encode` gives it."""
        return encode_one(self, q)

    # --- evaluation -------------------------------------------------------------------

    def score_block(
        self, rows: IntArray, qt: QueryTable, weights: Weights, *, group_checked: bool = False
    ) -> NDArray[np.float32]:
        """Scores (float32, -inf where infeasible) for clients in `qt` x therapist `rows`."""
        return scores.score_block(self, rows, qt, weights, group_checked=group_checked)

    def evaluate_block(
        self, rows: IntArray, qt: QueryTable, weights: Weights, *, group_checked: bool = False
    ) -> tuple[BoolArray, FloatArray]:
        """Feasibility and score for every client in `qt` x therapist row in `rows`."""
        return scores.evaluate_block(self, rows, qt, weights, group_checked=group_checked)

    # --- single query -----------------------------------------------------------------

    def search(
        self, query: ClientQuery, k: int = 10, *, weights: Weights | None = None
    ) -> SearchResult:
        """The k best therapists passing every hard constraint, each with its reasons."""
        if k < 1:
            raise ValueError("k must be >= 1")
        w = weights or self.weights
        q = encode_one(self, query)
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
                funnel.append(FunnelStep(name, constraint_text(name, query), left - now, now))
                left = now
            alive = prefix.copy()
            for name, step in block.steps(q):
                now = int(np.count_nonzero(np.logical_and(alive, step(), out=alive))) if left else 0
                funnel.append(FunnelStep(name, constraint_text(name, query), left - now, now))
                left = now
            if left:
                rows = block.rows[alive]
        else:
            for name in step_names(q):
                funnel.append(FunnelStep(name, constraint_text(name, query), 0, 0))
        components, met = scores.components_one(self, rows, q, w)
        score = components[0] + components[1]
        for c in range(2, len(COMPONENTS)):
            score += components[c]
        picked = _top_positions(score, k)
        matches = explain(self, query, q, rows, picked, components, met, w)
        return SearchResult(matches, tuple(funnel), self.version, w.version)

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
        components, _ = scores.components_one(self, rows, encode_one(self, query), unit)
        return np.ascontiguousarray(components.T)

    # --- records page -----------------------------------------------------------------

    def priors(self) -> dict[str, tuple[Prior, ...]]:
        """Per-domain practice priors (alliance, outcome) and per-pillar priors."""
        return {
            "alliance": self.alliance_priors,
            "outcome": self.outcome_priors,
            "pillars": self.pillar_priors,
        }


def _top_positions(score: FloatArray, k: int) -> IntArray:
    """Positions of the k best scores, ties broken by position (= by id)."""
    cand = np.arange(score.shape[0])
    if cand.shape[0] > k:
        s = score[cand]
        kth = np.partition(s, s.shape[0] - k)[s.shape[0] - k]
        cand = cand[s >= kth]
    order = np.lexsort((cand, -score[cand]))
    return cand[order[:k]]
