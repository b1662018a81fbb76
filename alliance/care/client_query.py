"""What a client is looking for, as the engine's `ClientQuery`: their latest intake, the
therapists they switched away from, and the reason they gave for switching."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.hour_masks import preferred_mask
from alliance.care.models import Intake, Partnership
from alliance.care.therapist_rows import domains_of
from alliance.matching import ClientQuery
from alliance.matching.vocabulary import SWITCH_REASONS


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
