"""Hypothesis strategies and a plain-Python reference for the matching engine tests."""

from __future__ import annotations

from hypothesis import strategies as st

from alliance.matching.rows import ClientQuery, DomainRecord, Evidence, PillarRecord, TherapistRow
from alliance.matching.vocabulary import DOMAINS, MODALITIES, PILLARS, PREFERENCES, STYLES

JURISDICTIONS = ("CA", "NY", "TX")
LANGUAGES = ("en", "es", "fr")
GENDERS = ("woman", "man", "nonbinary")
CULTURES = ("latin", "black", "south_asian")
APPROACHES = ("cbt", "act", "psychodynamic")
INSURERS = ("aetna", "cigna")
# Few hours so that schedule overlap is sometimes short.
HOURS = tuple(range(8))


def subset(values: tuple[str, ...], min_size: int = 0) -> st.SearchStrategy[frozenset[str]]:
    if not values:
        return st.just(frozenset())
    return st.frozensets(st.sampled_from(values), min_size=min_size, max_size=len(values))


def hour_mask() -> st.SearchStrategy[int]:
    return st.frozensets(st.sampled_from(HOURS)).map(lambda hs: sum(1 << h for h in hs))


evidence = st.builds(
    Evidence,
    mean=st.floats(-2, 2, allow_nan=False),
    sd=st.floats(0.5, 1.5, allow_nan=False),
    n=st.integers(0, 40),
)


@st.composite
def therapist(draw: st.DrawFn, id: int) -> TherapistRow:
    capacity = draw(st.integers(0, 5))
    domains = draw(st.lists(st.sampled_from(DOMAINS), unique=True, max_size=3))
    return TherapistRow(
        id=id,
        jurisdictions=draw(subset(JURISDICTIONS)),
        languages=draw(subset(LANGUAGES, 1)),
        modalities=draw(subset(MODALITIES)),
        capacity=capacity,
        free_capacity=draw(st.integers(0, capacity)),
        availability=draw(hour_mask()),
        fee=draw(st.sampled_from([60.0, 90.0, 120.0])),
        insurers=draw(subset(INSURERS)),
        gender=draw(st.sampled_from(GENDERS)),
        age=draw(st.integers(25, 70)),
        faith_informed=draw(st.booleans()),
        lgbtq_affirming=draw(st.booleans()),
        cultures=draw(subset(CULTURES)),
        approaches=draw(subset(APPROACHES)),
        style=draw(st.sampled_from(("", *STYLES))),
        specialties=draw(subset(DOMAINS[:4])),
        records=tuple(
            DomainRecord(d, alliance=draw(evidence), outcome=draw(evidence)) for d in domains
        ),
        pillars=tuple(
            PillarRecord(p, draw(evidence))
            for p in draw(st.lists(st.sampled_from(PILLARS), unique=True))
        ),
    )


@st.composite
def therapists(draw: st.DrawFn, max_size: int = 25) -> list[TherapistRow]:
    ids = draw(st.lists(st.integers(1, 10_000), unique=True, min_size=1, max_size=max_size))
    return [draw(therapist(i)) for i in ids]


@st.composite
def query(draw: st.DrawFn, ids: list[int] | None = None) -> ClientQuery:
    gender = draw(subset(GENDERS))
    age_range = draw(
        st.none()
        | st.tuples(st.integers(25, 50), st.integers(0, 25)).map(lambda t: (t[0], t[0] + t[1]))
    )
    faith = draw(st.booleans())
    lgbtq = draw(st.booleans())
    cultures = draw(subset(CULTURES))
    approaches = draw(subset(APPROACHES))
    style = draw(st.none() | st.sampled_from(STYLES))
    stated = {
        "gender": bool(gender),
        "age": age_range is not None,
        "faith_informed": faith,
        "lgbtq_affirming": lgbtq,
        "culture": bool(cultures),
        "approach": bool(approaches),
        "style": style is not None,
    }
    must = draw(subset(tuple(p for p in PREFERENCES if stated[p])))
    excluded = frozenset(draw(st.lists(st.sampled_from(ids), max_size=3))) if ids else frozenset()
    return ClientQuery(
        jurisdiction=draw(st.sampled_from((*JURISDICTIONS, "ZZ"))),
        languages=draw(subset((*LANGUAGES, "xx"), 1)),
        modality=draw(st.sampled_from(MODALITIES)),
        preferred_hours=draw(hour_mask()),
        min_overlap_hours=draw(st.integers(0, 3)),
        budget=draw(st.none() | st.sampled_from([50.0, 90.0, 150.0])),
        insurer=draw(st.none() | st.sampled_from((*INSURERS, "unknown"))),
        concerns=draw(subset(DOMAINS[:5])),
        gender=gender,
        age_range=age_range,
        faith_informed=faith,
        lgbtq_affirming=lgbtq,
        cultures=cultures,
        approaches=approaches,
        style=style,
        must_have=must,
        excluded=excluded,
        switch_reason=draw(st.none() | st.sampled_from(("bond", "goals", "tasks", "practical"))),
    )


def preference_met(name: str, t: TherapistRow, q: ClientQuery) -> bool:
    if name == "gender":
        return t.gender in q.gender
    if name == "age":
        assert q.age_range is not None
        return q.age_range[0] <= t.age <= q.age_range[1]
    if name == "faith_informed":
        return t.faith_informed
    if name == "lgbtq_affirming":
        return t.lgbtq_affirming
    if name == "culture":
        return bool(t.cultures & q.cultures)
    if name == "approach":
        return bool(t.approaches & q.approaches)
    if name == "style":
        return t.style == q.style
    raise AssertionError(name)


def violations(t: TherapistRow, q: ClientQuery) -> list[str]:
    """Every hard constraint `t` breaks for `q`, written as plainly as possible."""
    broken = []
    if q.jurisdiction not in t.jurisdictions:
        broken.append("jurisdiction")
    if not t.languages & q.languages:
        broken.append("language")
    if q.modality not in t.modalities:
        broken.append("modality")
    if t.free_capacity <= 0:
        broken.append("capacity")
    if bin(t.availability & q.preferred_hours).count("1") < q.min_overlap_hours:
        broken.append("schedule")
    if q.insurer is not None or q.budget is not None:
        by_insurer = q.insurer is not None and q.insurer in t.insurers
        by_budget = q.budget is not None and t.fee <= q.budget
        if not (by_insurer or by_budget):
            broken.append("payment")
    for name in sorted(q.must_have):
        if not preference_met(name, t, q):
            broken.append(f"must:{name}")
    if t.id in q.excluded:
        broken.append("excluded")
    return broken
