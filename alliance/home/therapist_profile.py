"""A therapist's profile page, for a client choosing (or working with) them: who they are,
where they may work, how they work, in which languages, in their own words, and when they
are next free.

It gathers the directory (profile, licences), care (the offers that let a client read it,
the choosing flow it posts to) and the schedule (the next free times), so it sits in home,
above all three.

Who may read it: the therapist themself, a practice admin, and a client who was offered the
therapist (on the matches page or from the waiting list) or works or worked with them. The
page is declared `scope="self"`: each caller reads only what their own matches, partnerships
or account lead to; anyone else gets a 404, as for any record they may not open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from alliance.accounts.models import User
from alliance.care.intake import APPROACHES
from alliance.care.models import MatchOffer, Partnership
from alliance.care.offers import _language_names, _licences_of
from alliance.core.zones import zone_of
from alliance.directory import portraits
from alliance.directory.models import Modality, TherapistPhoto, TherapistProfile
from alliance.privacy.access import access
from alliance.schedule import availability

# How many next free times the page shows, and how far ahead it looks for them.
NEXT_FREE_TIMES = 5
LOOK_AHEAD_DAYS = 21

APPROACH_LABELS = dict(APPROACHES)
MODALITY_LABELS = dict(Modality.choices)


def readable_therapist(reader: User, therapist_id: int) -> User:
    """The therapist whose profile `reader` may read, with their profile; else Http404."""
    therapist = (
        User.objects.filter(pk=therapist_id, role=User.Role.THERAPIST, is_active=True)
        .select_related("therapist_profile")
        .first()
    )
    if therapist is None or getattr(therapist, "therapist_profile", None) is None:
        raise Http404("no such therapist")
    if reader.is_practice_admin or reader.pk == therapist.pk:
        return therapist
    if reader.is_client and (
        MatchOffer.objects.filter(client=reader, therapist=therapist).exists()
        or Partnership.objects.filter(client=reader, therapist=therapist).exists()
    ):
        return therapist
    raise Http404("no such therapist")


def next_free_times(
    therapist: User, reader: User, *, now: dt.datetime | None = None, count: int = NEXT_FREE_TIMES
) -> list[availability.Slot]:
    """The therapist's next bookable starts (UTC), from the schedule's own availability:
    weekly windows, exceptions and time off, minus what is booked (and, for a client, their
    own appointments), no sooner than the booking notice allows. A fixed handful of queries."""
    now = now or timezone.now()
    end = now + dt.timedelta(days=LOOK_AHEAD_DAYS)
    client = reader if reader.is_client else None
    calendar = availability.load_calendar(therapist, now, end, client=client)
    notice = now + dt.timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES)
    return availability.open_slots(calendar, now, end, not_before=notice)[:count]


@dataclass(frozen=True)
class ProfilePage:
    therapist: User
    profile: TherapistProfile
    initials: str
    licences: list[str]
    languages: list[str]
    approaches: list[str]
    modalities: list[str]
    free_times: list[dt.datetime]  # in the reader's zone
    offer: MatchOffer | None  # the client's open offer to choose from here, if any
    # No fee yet: billing is being built and will add the fee to this page through its
    # template tag, so no second copy of the fee rules lives here.


def _open_offer(reader: User, therapist: User) -> MatchOffer | None:
    """The client's newest open offer of this therapist, while they have nobody yet: the
    same offer the matches page's Choose button posts."""
    if not reader.is_client:
        return None
    if Partnership.objects.filter(client=reader, status=Partnership.Status.ACTIVE).exists():
        return None
    return (
        MatchOffer.objects.filter(
            client=reader, therapist=therapist, status=MatchOffer.Status.SHOWN
        )
        .order_by("-id")
        .first()
    )


def profile_page(reader: User, therapist: User, *, now: dt.datetime | None = None) -> ProfilePage:
    now = now or timezone.now()
    profile: TherapistProfile = therapist.therapist_profile
    zone = zone_of(reader)
    return ProfilePage(
        therapist=therapist,
        profile=profile,
        initials=portraits.initials(therapist.name),
        # The same facts as the match card: each valid licence as "type, where it holds".
        licences=_licences_of([therapist.pk], now).get(therapist.pk, []),
        languages=_language_names(profile.languages or ()),
        approaches=[str(APPROACH_LABELS.get(a, a)) for a in profile.approaches or ()],
        modalities=[str(MODALITY_LABELS.get(m, m)) for m in profile.modalities or ()],
        free_times=[
            s.starts_at.astimezone(zone) for s in next_free_times(therapist, reader, now=now)
        ],
        offer=_open_offer(reader, therapist),
    )


@access("client", "therapist", "admin", scope="self")
@require_GET
def therapist_profile(request: HttpRequest, therapist_id: int) -> HttpResponse:
    reader: User = request.user  # type: ignore[assignment]
    therapist = readable_therapist(reader, therapist_id)
    page = profile_page(reader, therapist)
    return render(
        request, "home/therapist_profile.html", {"page": page, "zone": str(zone_of(reader))}
    )


@access("client", "therapist", "admin", scope="self")
@require_GET
def therapist_photo(request: HttpRequest, therapist_id: int) -> HttpResponse:
    """The stored, re-encoded photo, to whoever may read the profile. Like every page a
    signed-in person sees, it is not kept in the browser's cache (`AccessMiddleware`)."""
    therapist = readable_therapist(request.user, therapist_id)  # type: ignore[arg-type]
    photo = TherapistPhoto.objects.filter(profile=therapist.therapist_profile).first()
    if photo is None:
        raise Http404("no photo")
    response = HttpResponse(bytes(photo.image), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="photo.jpg"'
    return response
