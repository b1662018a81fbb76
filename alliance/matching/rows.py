"""Plain inputs of the engine: therapist rows and client queries.

The Django side builds these from the database (fetch, then calculate); the engine never
sees a model instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alliance.matching.vocabulary import (
    ALL_HOURS,
    DOMAINS,
    MODALITIES,
    PILLARS,
    PREFERENCES,
    STYLES,
    SWITCH_REASONS,
)


@dataclass(frozen=True)
class Evidence:
    """A measured mean over `n` partnerships, with the client-level SD around it."""

    mean: float
    sd: float
    n: int

    def __post_init__(self) -> None:
        if self.n < 0 or self.sd < 0:
            raise ValueError(f"evidence needs n >= 0 and sd >= 0, got n={self.n}, sd={self.sd}")


NO_EVIDENCE = Evidence(mean=0.0, sd=0.0, n=0)


@dataclass(frozen=True)
class DomainRecord:
    """A therapist's record in one problem domain.

    `alliance` is the client-rated alliance at session 3 (early alliance predicts outcome,
    Flückiger et al. 2018). `outcome` is change relative to the expected trajectory for each
    client's intake score, positive = better than expected, so taking severe cases is not
    penalised (risk adjustment as in Constantino et al. 2021).
    """

    domain: str
    alliance: Evidence = NO_EVIDENCE
    outcome: Evidence = NO_EVIDENCE

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown problem domain {self.domain!r}; expected one of {DOMAINS}")


@dataclass(frozen=True)
class PillarRecord:
    """A therapist's session-3 subscale record for one pillar (bond, goals or tasks)."""

    pillar: str
    evidence: Evidence

    def __post_init__(self) -> None:
        if self.pillar not in PILLARS:
            raise ValueError(f"unknown pillar {self.pillar!r}; expected one of {PILLARS}")


def _check_subset(name: str, values: frozenset[str], allowed: tuple[str, ...]) -> None:
    unknown = values - set(allowed)
    if unknown:
        raise ValueError(f"unknown {name}: {sorted(unknown)}; expected some of {allowed}")


@dataclass(frozen=True)
class TherapistRow:
    """One therapist as the index sees them.

    `jurisdictions` holds only verified, unexpired licences: telehealth licensure follows the
    client's physical location at the time of the session. `availability` is a 168-bit
    hour-of-week mask in UTC (see `vocabulary.hour_of_week`). `fee` is per appointment in
    the practice currency.
    """

    id: int
    jurisdictions: frozenset[str]
    languages: frozenset[str]
    modalities: frozenset[str]
    capacity: int
    free_capacity: int
    availability: int
    fee: float
    insurers: frozenset[str] = frozenset()
    gender: str = ""
    age: int = 0
    faith_informed: bool = False
    lgbtq_affirming: bool = False
    cultures: frozenset[str] = frozenset()
    approaches: frozenset[str] = frozenset()
    style: str = ""
    specialties: frozenset[str] = frozenset()
    records: tuple[DomainRecord, ...] = ()
    pillars: tuple[PillarRecord, ...] = ()

    def __post_init__(self) -> None:
        _check_subset("modalities", self.modalities, MODALITIES)
        _check_subset("specialties", self.specialties, DOMAINS)
        if self.style and self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}; expected one of {STYLES}")
        if not 0 <= self.free_capacity <= self.capacity:
            raise ValueError(
                f"therapist {self.id}: need 0 <= free_capacity <= capacity, "
                f"got {self.free_capacity} and {self.capacity}"
            )
        if not 0 <= self.availability <= ALL_HOURS:
            raise ValueError(f"therapist {self.id}: availability must be a 168-bit mask")
        if self.fee < 0:
            raise ValueError(f"therapist {self.id}: fee must be >= 0")
        if len({r.domain for r in self.records}) != len(self.records):
            raise ValueError(f"therapist {self.id}: one record per domain")


@dataclass(frozen=True)
class ClientQuery:
    """What a client asks for.

    Hard constraints: `jurisdiction` (where the client is), at least one of `languages`,
    `modality`, `min_overlap_hours` of `preferred_hours` (168-bit UTC mask) shared with the
    therapist's availability, and payment: with an `insurer`, the therapist accepts it; with
    a `budget`, the fee is within it; with both, either will do.

    Preferences are stated by giving a value (`gender` non-empty, `age_range` set,
    `faith_informed` / `lgbtq_affirming` true, `cultures`, `approaches` non-empty, `style`);
    names in `must_have` are hard constraints, every other stated preference is a
    nice-to-have. `excluded` removes therapists (the previous one after a switch);
    `switch_reason` shifts weight towards that pillar's record.
    """

    jurisdiction: str
    languages: frozenset[str]
    modality: str
    preferred_hours: int = ALL_HOURS
    min_overlap_hours: int = 2
    budget: float | None = None
    insurer: str | None = None
    concerns: frozenset[str] = frozenset()
    gender: frozenset[str] = frozenset()
    age_range: tuple[int, int] | None = None
    faith_informed: bool = False
    lgbtq_affirming: bool = False
    cultures: frozenset[str] = frozenset()
    approaches: frozenset[str] = frozenset()
    style: str | None = None
    must_have: frozenset[str] = frozenset()
    excluded: frozenset[int] = frozenset()
    switch_reason: str | None = None
    stated: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"unknown modality {self.modality!r}; expected one of {MODALITIES}")
        if not self.languages:
            raise ValueError("a query needs at least one language")
        _check_subset("concerns", self.concerns, DOMAINS)
        _check_subset("must-have preferences", self.must_have, PREFERENCES)
        if self.style is not None and self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}; expected one of {STYLES}")
        if self.switch_reason is not None and self.switch_reason not in SWITCH_REASONS:
            raise ValueError(
                f"unknown switch reason {self.switch_reason!r}; expected one of {SWITCH_REASONS}"
            )
        if not 0 <= self.preferred_hours <= ALL_HOURS:
            raise ValueError("preferred_hours must be a 168-bit mask")
        if not 0 <= self.min_overlap_hours <= 168:
            raise ValueError("min_overlap_hours must be 0..168")
        if self.budget is not None and self.budget < 0:
            raise ValueError("budget must be >= 0")
        if self.age_range is not None and self.age_range[0] > self.age_range[1]:
            raise ValueError(f"age_range must be (low, high), got {self.age_range}")
        stated = {
            "gender": bool(self.gender),
            "age": self.age_range is not None,
            "faith_informed": self.faith_informed,
            "lgbtq_affirming": self.lgbtq_affirming,
            "culture": bool(self.cultures),
            "approach": bool(self.approaches),
            "style": self.style is not None,
        }
        missing = [p for p in self.must_have if not stated[p]]
        if missing:
            raise ValueError(f"must-have preferences without a value: {sorted(missing)}")
        object.__setattr__(self, "stated", frozenset(p for p, s in stated.items() if s))
