"""The plain-language side of a match: the reasons shown with each therapist and the text
of each step of the constraint funnel."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from alliance.matching._one import OneQuery
from alliance.matching.encoding import U64, BoolArray, FloatArray, IntArray
from alliance.matching.results import Match, Reason
from alliance.matching.rows import ClientQuery
from alliance.matching.vocabulary import DOMAIN_LABELS, DOMAINS, PREFERENCE_LABELS
from alliance.matching.weights import COMPONENTS, Weights

if TYPE_CHECKING:
    from alliance.matching.index import Index

_PREFERENCE = COMPONENTS.index("preference")
# A component below this contribution is too small to be worth showing as a reason.
REASON_MIN = 0.01
MAX_REASONS = 3


def explain(
    index: Index,
    query: ClientQuery,
    q: OneQuery,
    rows: IntArray,
    picked: IntArray,
    components: FloatArray,
    met: dict[str, BoolArray],
    weights: Weights,
) -> tuple[Match, ...]:
    """The picked rows as matches, best first, each with its largest components as reasons."""
    if picked.shape[0] == 0:
        return ()
    values = components[:, picked].T.tolist()
    top = rows[picked]
    ids = index.ids[top].tolist()
    nice = list(met)
    flags = unmet_flags = None
    if nice:
        stacked = np.stack([met[p][picked] for p in nice])
        flags, unmet_flags = stacked.T.tolist(), (~stacked).T.tolist()
    facts = _ReasonTexts(index, query, q, top)
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
        # A record is cited only where it rests on the minimum number of cases (the same
        # rule that keeps raw rankings from being shown); the score still uses every record,
        # shrunk toward the practice mean by how little evidence it has.
        strong = (z > 0) & (n >= index.min_cases)
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
            return [
                _record_text(name, m, c, has, index.min_cases)
                for m, c in zip(masks, cases, strict=True)
            ]
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
def _record_text(name: str, strong: int, cases: int, has_concerns: bool, min_cases: int) -> str:
    if not strong:
        what = "working relationship" if name == "alliance" else "outcomes"
        return (
            f"Early signs of a good record on {what}, from fewer than {min_cases} clients "
            "per concern so far (adjusted for the amount of evidence)"
        )
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


def _join(items: Sequence[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def constraint_text(name: str, query: ClientQuery) -> str:
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
