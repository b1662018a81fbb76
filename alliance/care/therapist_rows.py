"""The directory as the engine's rows: one `TherapistRow` per therapist with a valid
licence, with free capacity, weekly availability and the observed record per problem domain
and per pillar, in a fixed number of queries however many therapists there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care import observations
from alliance.care.hour_masks import HourMasks
from alliance.care.models import Partnership
from alliance.directory.models import AvailabilityWindow, Licence, TherapistProfile
from alliance.matching import DomainRecord, Evidence, PillarRecord, TherapistRow
from alliance.matching.vocabulary import DOMAINS, MODALITIES, PILLARS, STYLES

# Older directory data used this name for the psychosis-spectrum domain.
DOMAIN_ALIASES = {"serious_mental_illness": "psychosis_spectrum"}


@dataclass
class _Sums:
    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value

    def evidence(self) -> Evidence:
        if self.n == 0:
            return Evidence(0.0, 0.0, 0)
        mean = self.total / self.n
        var = max(0.0, self.squares / self.n - mean * mean) * self.n / max(self.n - 1, 1)
        return Evidence(mean, float(np.sqrt(var)), self.n)


def domains_of(concerns: Iterable[str]) -> list[str]:
    out = []
    for c in concerns or ():
        c = DOMAIN_ALIASES.get(c, c)
        if c in DOMAINS and c not in out:
            out.append(c)
    return out


def _number(value: Any, key: str = "total") -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, dict):
        return _number(value.get(key))
    return _number(getattr(value, key, None)) if hasattr(value, key) else None


def observed_by_partnership(ids: Sequence[int]) -> tuple[dict[int, Any], dict[int, float]]:
    """(session-3 alliance, risk-adjusted outcome change) per partnership, from checkins."""
    alliance = observations.early_alliance(ids) if ids else {}
    outcome = {}
    if ids:
        for pid, value in observations.outcome_change(ids).items():
            number = _number(value, "change")
            if number is not None:
                outcome[int(pid)] = number
    return alliance, outcome


def fetch_records() -> tuple[dict[int, list[DomainRecord]], dict[int, list[PillarRecord]]]:
    """Each therapist's observed record per problem domain (intake concerns) and per pillar."""
    partnerships = list(
        Partnership.objects.values_list("id", "therapist_id", "intake__concerns").order_by("id")
    )
    ids = [p[0] for p in partnerships]
    alliance, outcome = observed_by_partnership(ids)
    # Session-3 subscales per pillar (bond, goals, tasks), when checkins provides them.
    pillar_values: dict[int, dict[str, Any]] = observations.early_pillars(ids) if ids else {}
    if not alliance and not outcome and not pillar_values:
        return {}, {}
    a_sums: dict[tuple[int, str], _Sums] = {}
    o_sums: dict[tuple[int, str], _Sums] = {}
    p_sums: dict[tuple[int, str], _Sums] = {}
    for pid, therapist_id, concerns in partnerships:
        a = _number(alliance.get(pid))
        o = outcome.get(pid)
        for domain in domains_of(concerns or []):
            if a is not None:
                a_sums.setdefault((therapist_id, domain), _Sums()).add(a)
            if o is not None:
                o_sums.setdefault((therapist_id, domain), _Sums()).add(o)
        for pillar in PILLARS:
            value = _number((pillar_values.get(pid) or {}).get(pillar))
            if value is not None:
                p_sums.setdefault((therapist_id, pillar), _Sums()).add(value)
    records: dict[int, list[DomainRecord]] = {}
    for therapist_id, domain in sorted(set(a_sums) | set(o_sums)):
        records.setdefault(therapist_id, []).append(
            DomainRecord(
                domain,
                alliance=a_sums.get((therapist_id, domain), _Sums()).evidence(),
                outcome=o_sums.get((therapist_id, domain), _Sums()).evidence(),
            )
        )
    pillars: dict[int, list[PillarRecord]] = {}
    for (therapist_id, pillar), sums in sorted(p_sums.items()):
        pillars.setdefault(therapist_id, []).append(PillarRecord(pillar, sums.evidence()))
    return records, pillars


def fetch_rows(*, now: dt.datetime | None = None) -> list[TherapistRow]:
    """Every therapist with a valid licence, as engine rows (a handful of queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    jurisdictions: dict[int, set[str]] = {}
    for therapist_id, code in Licence.objects.valid(today).values_list(
        "therapist_id", "jurisdiction__code"
    ):
        jurisdictions.setdefault(therapist_id, set()).add(code)
    profiles = list(
        TherapistProfile.objects.filter(
            user_id__in=list(jurisdictions), user__is_active=True, user__role=User.Role.THERAPIST
        )
        .values(
            "id",
            "user_id",
            "gender",
            "birth_year",
            "languages",
            "modalities",
            "approaches",
            "specialties",
            "cultural_backgrounds",
            "style",
            "faith_informed",
            "lgbtq_affirming",
            "timezone",
            "capacity",
            "fee",
            "insurers",
            "accepting_new_clients",
        )
        .order_by("user_id")
    )
    windows: dict[int, list[tuple[int, int, int]]] = {}
    for profile_id, weekday, start, end in AvailabilityWindow.objects.values_list(
        "therapist_id", "weekday", "start", "end"
    ):
        windows.setdefault(profile_id, []).append(
            (weekday, start.hour * 60 + start.minute, end.hour * 60 + end.minute)
        )
    active = dict(
        Partnership.objects.filter(status=Partnership.Status.ACTIVE)
        .values("therapist_id")
        .annotate(n=Count("id"))
        .values_list("therapist_id", "n")
    )
    records, pillars = fetch_records()
    masks = HourMasks(now)
    rows = []
    for p in profiles:
        uid = p["user_id"]
        capacity = int(p["capacity"])
        free = max(0, capacity - int(active.get(uid, 0))) if p["accepting_new_clients"] else 0
        rows.append(
            TherapistRow(
                id=uid,
                jurisdictions=frozenset(jurisdictions[uid]),
                languages=frozenset(p["languages"] or ()),
                modalities=frozenset(m for m in p["modalities"] or () if m in MODALITIES),
                capacity=capacity,
                free_capacity=free,
                availability=masks.mask(p["timezone"], windows.get(p["id"], ())),
                fee=float(p["fee"] or 0),
                insurers=frozenset(p["insurers"] or ()),
                gender=p["gender"] or "",
                age=today.year - p["birth_year"] if p["birth_year"] else 0,
                faith_informed=bool(p["faith_informed"]),
                lgbtq_affirming=bool(p["lgbtq_affirming"]),
                cultures=frozenset(p["cultural_backgrounds"] or ()),
                approaches=frozenset(p["approaches"] or ()),
                style=p["style"] if p["style"] in STYLES else "",
                specialties=frozenset(domains_of(p["specialties"] or ())),
                records=tuple(records.get(uid, ())),
                pillars=tuple(pillars.get(uid, ())),
            )
        )
    return rows
