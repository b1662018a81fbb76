"""Running a match and choosing a therapist: search the worker's index for an intake, store
every shown match as a `MatchOffer` with its reasons and weights version, and start the
partnership when the client chooses one that still has a free place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language_info, gettext

from alliance.accounts.models import User
from alliance.care.client_query import query_for, rematch_context
from alliance.care.match_index import current_index
from alliance.care.models import Intake, MatchOffer, Partnership
from alliance.core.errors import DomainError
from alliance.directory.models import Licence, TherapistProfile
from alliance.matching import ClientQuery, SearchResult
from alliance.matching.vocabulary import PREFERENCE_LABELS


class MatchingError(DomainError):
    """A client-facing reason why matching or choosing cannot go ahead."""


# --- showing matches --------------------------------------------------------------------


@dataclass(frozen=True)
class ShownMatch:
    offer: MatchOffer
    therapist: User
    profile: TherapistProfile
    reasons: list[str]
    unmet: list[str]
    # Facts to choose on, beside the reasons: valid licences ("LCSW, New York") and the
    # languages the therapist works in, in the reader's language.
    licences: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


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
    ids = [m.therapist_id for m in result.matches]
    users = User.objects.select_related("therapist_profile").in_bulk(ids)
    licences = _licences_of(ids, now)
    shown = [
        ShownMatch(
            offer=offer,
            therapist=users[m.therapist_id],
            profile=users[m.therapist_id].therapist_profile,
            reasons=[r.text for r in m.reasons],
            unmet=[str(PREFERENCE_LABELS.get(u, u)) for u in m.unmet],
            licences=licences.get(m.therapist_id, []),
            languages=_language_names(users[m.therapist_id].therapist_profile.languages),
        )
        for offer, m in zip(offers, result.matches, strict=True)
    ]
    step = result.excluded_by
    labels = tuple(str(PREFERENCE_LABELS.get(n, n)) for n in named)
    return MatchPage(intake, shown, step.text if step else None, reason, result, rule, labels)


def _licences_of(therapist_ids: list[int], now: dt.datetime) -> dict[int, list[str]]:
    """Each therapist's valid licences as "type, jurisdiction" (one query for all)."""
    out: dict[int, list[str]] = {}
    rows = (
        Licence.objects.valid(timezone.localdate(now))
        .filter(therapist_id__in=therapist_ids)
        .select_related("jurisdiction")
        .order_by("jurisdiction__name", "licence_type")
    )
    for licence in rows:  # the type in the reader's language, where it has a translation
        out.setdefault(licence.therapist_id, []).append(
            f"{licence.type_label}, {licence.jurisdiction.name}"
        )
    return out


def _language_names(codes: Iterable[str]) -> list[str]:
    """ISO 639-1 codes as the reader's language names them ("es" -> "Spanish")."""
    names = []
    for code in codes:
        try:
            names.append(str(get_language_info(code)["name_translated"]))
        except KeyError:  # a code Django does not know is shown as it is
            names.append(code)
    return names


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
