"""The Django side of matching: fetch the directory, then let the pure engine calculate.

`current_index()` keeps one in-memory `Index` per worker process, keyed by a version read
from the database on every request (one query): the `MatchIndexVersion` counter, bumped by
the services that change capacity (starting and ending partnerships), plus a cheap signature
of the directory tables (newest profile change, licence and availability counts and dates),
today's date (licences expire by the day), the active weight set and a time bucket for the
therapist records. When any of these differ, the worker rebuilds its snapshot.

Hours: both the therapists' availability windows and the client's preferred times are in
their own time zones; they are turned into the engine's 168-bit UTC hour-of-week mask over
the same coming week (the next 168 absolute hours), so a DST change inside that week shifts
exactly the hours it should.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext

from alliance.accounts.models import User
from alliance.care import observations
from alliance.care.models import Intake, MatchIndexVersion, MatchOffer, Partnership, WeightSet
from alliance.core.errors import DomainError
from alliance.core.zones import zone_named
from alliance.directory.models import AvailabilityWindow, Licence, TherapistProfile
from alliance.matching import (
    DEFAULT_WEIGHTS,
    ClientQuery,
    DomainRecord,
    Evidence,
    Index,
    PillarRecord,
    SearchResult,
    TherapistRow,
    Weights,
)
from alliance.matching.vocabulary import (
    ALL_HOURS,
    DOMAINS,
    MODALITIES,
    PILLARS,
    PREFERENCE_LABELS,
    STYLES,
    SWITCH_REASONS,
    hour_of_week,
)

# Older directory data used this name for the psychosis-spectrum domain.
DOMAIN_ALIASES = {"serious_mental_illness": "psychosis_spectrum"}
UTC = dt.UTC


class MatchingError(DomainError):
    """A client-facing reason why matching or choosing cannot go ahead."""


# --- index version --------------------------------------------------------------------


def bump_index_version() -> None:
    """Tell every worker to rebuild its index (call inside the changing transaction)."""
    if MatchIndexVersion.objects.filter(pk=1).update(counter=F("counter") + 1):
        return
    try:
        with transaction.atomic():
            MatchIndexVersion.objects.create(pk=1, counter=1)
    except IntegrityError:
        MatchIndexVersion.objects.filter(pk=1).update(counter=F("counter") + 1)


def _version_key(today: dt.date, now: dt.datetime) -> tuple[str, str]:
    """(index key, active weights version) from one query."""
    tables = {
        "v": MatchIndexVersion._meta.db_table,
        "p": TherapistProfile._meta.db_table,
        "l": Licence._meta.db_table,
        "a": AvailabilityWindow._meta.db_table,
        "w": WeightSet._meta.db_table,
    }
    # Table names come from model metadata; nothing here comes from input.
    sql = (  # noqa: S608
        "SELECT (SELECT counter FROM {v} WHERE id = 1),"
        " (SELECT MAX(updated_at) FROM {p}), (SELECT COUNT(*) FROM {p}),"
        " (SELECT COUNT(*) FROM {l}), (SELECT MAX(created_at) FROM {l}),"
        " (SELECT MAX(verified_at) FROM {l}), (SELECT MAX(lapsed_at) FROM {l}),"
        " (SELECT MAX(expires_on) FROM {l}), (SELECT MIN(expires_on) FROM {l}),"
        " (SELECT COUNT(*) FROM {a}), (SELECT MAX(id) FROM {a}),"
        " (SELECT version FROM {w} WHERE active ORDER BY created_at DESC, id DESC LIMIT 1)"
    ).format(**tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    weights_version = row[-1] or DEFAULT_WEIGHTS.version
    bucket = int(now.timestamp()) // max(1, settings.MATCHING_RECORDS_REFRESH_SECONDS)
    # The availability mask covers the coming week, so it is rebuilt at least hourly.
    hour = int(now.timestamp()) // 3600
    raw = "|".join(str(v) for v in (*row, today.isoformat(), bucket, hour))
    return f"{row[0] or 0}-{hashlib.sha256(raw.encode()).hexdigest()[:12]}", weights_version


def current_weights() -> Weights:
    found = WeightSet.objects.filter(active=True).order_by("-created_at", "-id").first()
    if found is None:
        return DEFAULT_WEIGHTS
    return Weights(version=found.version, **found.weights)


@dataclass
class _Snapshot:
    key: str
    index: Index
    names: dict[int, str]


_snapshot: _Snapshot | None = None
_lock = threading.Lock()


def current_index(now: dt.datetime | None = None) -> Index:
    """This worker's index, rebuilt when the database says the directory changed."""
    global _snapshot
    now = now or timezone.now()
    key, _ = _version_key(timezone.localdate(now), now)
    snap = _snapshot
    if snap is not None and snap.key == key:
        return snap.index
    with _lock:
        snap = _snapshot
        if snap is not None and snap.key == key:
            return snap.index
        index = Index.build(
            fetch_rows(now=now),
            version=key,
            weights=current_weights(),
            min_cases=settings.MATCHING_MIN_CASES,
        )
        _snapshot = _Snapshot(key, index, {})
        return index


def forget_index() -> None:
    """Drop this worker's snapshot (tests)."""
    global _snapshot
    _snapshot = None


# --- hours ------------------------------------------------------------------------------


def week_hours(zone: str, now: dt.datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the next 168 absolute hours: (UTC bit, local weekday, local minute of day)."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    tz = zone_named(zone)
    bits, days, minutes = [], [], []
    for i in range(168):
        t = start + dt.timedelta(hours=i)
        local = t.astimezone(tz)
        bits.append(hour_of_week(t.weekday(), t.hour))
        days.append(local.weekday())
        minutes.append(local.hour * 60 + local.minute)
    return np.array(bits), np.array(days), np.array(minutes)


class HourMasks:
    """Turns weekly local windows into UTC hour masks, one time-zone table at a time."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._tables: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def mask(self, zone: str, windows: Iterable[tuple[int, int, int]]) -> int:
        """Windows are (weekday, start minute, end minute) local; an hour counts if whole."""
        table = self._tables.get(zone)
        if table is None:
            table = self._tables[zone] = week_hours(zone, self.now)
        bits, days, minutes = table
        mask = 0
        for weekday, start, end in windows:
            hit = (days == weekday) & (minutes >= start) & (minutes + 60 <= end)
            for b in bits[hit].tolist():
                mask |= 1 << b
        return mask


def preferred_mask(zone: str, times: Sequence[Sequence[int]], now: dt.datetime) -> int:
    """The client's preferred [weekday, start hour, end hour] in their zone; none = any."""
    if not times:
        return ALL_HOURS
    return HourMasks(now).mask(zone, [(int(d), int(s) * 60, int(e) * 60) for d, s, e in times])


# --- rows -------------------------------------------------------------------------------


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


# --- queries ----------------------------------------------------------------------------


def query_for(
    intake: Intake,
    *,
    now: dt.datetime | None = None,
    excluded: Iterable[int] = (),
    switch_reason: str | None = None,
) -> ClientQuery:
    """The engine query for an intake, for the coming week from `now`."""
    now = now or timezone.now()
    prefs: dict[str, dict[str, Any]] = intake.preferences or {}

    def value(name: str) -> Any:
        return (prefs.get(name) or {}).get("value")

    age = value("age")
    return ClientQuery(
        jurisdiction=intake.jurisdiction.code,
        languages=frozenset(intake.languages),
        modality=intake.modality,
        preferred_hours=preferred_mask(intake.timezone, intake.preferred_times, now),
        min_overlap_hours=settings.MATCHING_MIN_OVERLAP_HOURS if intake.preferred_times else 0,
        budget=float(intake.budget) if intake.budget is not None else None,
        insurer=intake.insurer or None,
        concerns=frozenset(domains_of(intake.concerns)),
        gender=frozenset(value("gender") or ()),
        age_range=(int(age[0]), int(age[1])) if age else None,
        faith_informed=bool(value("faith_informed")),
        lgbtq_affirming=bool(value("lgbtq_affirming")),
        cultures=frozenset(value("culture") or ()),
        approaches=frozenset(value("approach") or ()),
        style=value("style") or None,
        must_have=frozenset(n for n, p in prefs.items() if p.get("must") and p.get("value")),
        excluded=frozenset(int(i) for i in excluded),
        switch_reason=switch_reason if switch_reason in SWITCH_REASONS else None,
    )


def latest_intake(client: User) -> Intake | None:
    return (
        Intake.objects.filter(client=client)
        .select_related("jurisdiction")
        .order_by("-created_at", "-id")
        .first()
    )


def rematch_context(client: User) -> tuple[frozenset[int], str | None]:
    """Therapists the client switched away from (never offered again) and the last reason."""
    switched = list(
        Partnership.objects.filter(
            client=client, status=Partnership.Status.ENDED, end_reason="switched"
        )
        .order_by("-ended_at")
        .values_list("therapist_id", "switch_reason")
    )
    reason = switched[0][1] or None if switched else None
    return frozenset(t for t, _ in switched), reason


# --- showing matches --------------------------------------------------------------------


@dataclass(frozen=True)
class ShownMatch:
    offer: MatchOffer
    therapist: User
    profile: TherapistProfile
    reasons: list[str]
    unmet: list[str]


@dataclass(frozen=True)
class MatchPage:
    intake: Intake
    matches: list[ShownMatch]
    excluded_by: str | None
    switch_reason: str | None
    result: SearchResult
    # What the switch reason did to the search: "required" (the stated preferences it names
    # became hard constraints), "relaxed" (nobody met them, so these are the closest, each
    # saying what it does not meet), "unstated" (the reason names preferences the client has
    # not stated), or "" (no such reason).
    reason_rule: str = ""
    reason_preferences: tuple[str, ...] = ()


# The preferences a switch reason names: "The approach is not right for me" names how the
# therapist works. A stated one of these becomes a hard constraint of the re-match, so the
# first suggestion is never someone who "Does not meet: approach" (issue: the reason was
# ignored). The pillar reasons also shift weight to that pillar's record (the engine's
# `switch_reason`); "practical" reasons are the hard constraints already (times, fee,
# language).
REASON_PREFERENCES: dict[str, tuple[str, ...]] = {"tasks": ("approach", "style")}


def _stated(intake: Intake, names: Iterable[str]) -> tuple[str, ...]:
    prefs: dict[str, dict[str, Any]] = intake.preferences or {}
    return tuple(n for n in names if (prefs.get(n) or {}).get("value"))


def search_after_switch(
    index: Any, query: ClientQuery, intake: Intake, reason: str | None, k: int
) -> tuple[SearchResult, str, tuple[str, ...]]:
    """The search, with the preferences the switch reason names required when stated."""
    named = REASON_PREFERENCES.get(reason or "", ())
    if not named:
        return index.search(query, k), "", ()
    stated = _stated(intake, named)
    if not stated:
        return index.search(query, k), "unstated", named
    strict = index.search(replace(query, must_have=query.must_have | frozenset(stated)), k)
    if strict.matches:
        return strict, "required", stated
    return index.search(query, k), "relaxed", stated


def find_matches(
    *, client: User, intake: Intake, k: int | None = None, now: dt.datetime | None = None
) -> MatchPage:
    """Search, then store every shown match with its reasons and the weights version."""
    now = now or timezone.now()
    index = current_index(now)
    excluded, reason = rematch_context(client)
    query = query_for(intake, now=now, excluded=excluded, switch_reason=reason)
    result, rule, named = search_after_switch(
        index, query, intake, reason, k or settings.MATCHING_SHOWN
    )
    offers = MatchOffer.objects.bulk_create(
        [
            MatchOffer(
                client=client,
                therapist_id=m.therapist_id,
                intake=intake,
                rank=rank,
                score=float(m.score),
                reasons=[r.text for r in m.reasons],
                unmet=list(m.unmet),
                weights_version=m.weights_version,
                index_version=result.index_version[:80],
                switch_reason=reason or "",
            )
            for rank, m in enumerate(result.matches, start=1)
        ]
    )
    users = User.objects.select_related("therapist_profile").in_bulk(
        [m.therapist_id for m in result.matches]
    )
    shown = [
        ShownMatch(
            offer=offer,
            therapist=users[m.therapist_id],
            profile=users[m.therapist_id].therapist_profile,
            reasons=[r.text for r in m.reasons],
            unmet=[str(PREFERENCE_LABELS.get(u, u)) for u in m.unmet],
        )
        for offer, m in zip(offers, result.matches, strict=True)
    ]
    step = result.excluded_by
    labels = tuple(str(PREFERENCE_LABELS.get(n, n)) for n in named)
    return MatchPage(intake, shown, step.text if step else None, reason, result, rule, labels)


# --- choosing ---------------------------------------------------------------------------


@transaction.atomic
def choose_therapist(*, client: User, offer: MatchOffer) -> Partnership:
    """Start working with the offered therapist if they still have a free place.

    The therapist's profile row is locked first, so two clients can never take the last
    place: the second one waits, then counts the first one's partnership.
    """
    from alliance.care import services
    from alliance.care.models import WaitlistEntry

    if offer.client_id != client.pk:
        raise MatchingError(gettext("this match is not yours"))
    offer = MatchOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != MatchOffer.Status.SHOWN:
        raise MatchingError(gettext("this match has already been answered"))
    if Partnership.objects.filter(client=client, status=Partnership.Status.ACTIVE).exists():
        raise MatchingError(
            gettext("you already work with a therapist; switch first to choose another")
        )
    profile = TherapistProfile.objects.select_for_update().get(user_id=offer.therapist_id)
    taken = Partnership.objects.filter(
        therapist_id=offer.therapist_id, status=Partnership.Status.ACTIVE
    ).count()
    if not profile.accepting_new_clients or taken >= profile.capacity:
        raise MatchingError(
            gettext("this therapist no longer has a free place; please choose another")
        )
    if offer.intake is not None and not (
        Licence.objects.valid()
        .filter(therapist_id=offer.therapist_id, jurisdiction_id=offer.intake.jurisdiction_id)
        .exists()
    ):
        raise MatchingError(gettext("this therapist can no longer work where you are"))
    previous = (
        Partnership.objects.filter(client=client, status=Partnership.Status.ENDED)
        .order_by("-ended_at", "-id")
        .first()
    )
    partnership = services.start_partnership(client=client, therapist=profile.user)
    partnership.intake_id = offer.intake_id
    partnership.handoff_consent = bool(
        previous and previous.end_reason == "switched" and previous.switch_handoff
    )
    partnership.save(update_fields=["intake", "handoff_consent"])
    offer.status = MatchOffer.Status.CHOSEN
    offer.decided_at = timezone.now()
    offer.partnership = partnership
    offer.save(update_fields=["status", "decided_at", "partnership"])
    # The client's other open offers (a waiting-list place held for them, other live matches)
    # close now, releasing what they held.
    MatchOffer.objects.filter(client=client, status=MatchOffer.Status.SHOWN).exclude(
        pk=offer.pk
    ).update(status=MatchOffer.Status.WITHDRAWN, decided_at=offer.decided_at)
    WaitlistEntry.objects.filter(client=client, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.MATCHED, ended_at=timezone.now()
    )
    return partnership
