"""JSON API for availability and booking (mounted at /api/schedule/).

Times are RFC 3339 with an offset; responses give UTC and the caller's local time. A time
that is not bookable whatever the calendar says (no offset, past, too soon, too far ahead)
gets a 400; a refusal by the calendar or the appointment's state (the therapist is not
available then, the time is taken, the appointment is no longer upcoming, the partnership
has ended) is a conflict: 409.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator, BeforeValidator, ConfigDict

from alliance.accounts.models import User
from alliance.api.errors import responses, rule_broken
from alliance.api.inputs import BodyId, Choice, Documented, PathId, StrictDateTime
from alliance.care.queries import partnership_for
from alliance.core.zones import zone_of
from alliance.privacy.access import ApiAccess
from alliance.schedule import availability, queries, services
from alliance.schedule.models import Appointment

router = Router(tags=["schedule"])
PARTIES = ApiAccess("client", "therapist", scope="own_partnerships")
# A time written without its offset: a person's wall clock, but in which zone?
_NO_OFFSET = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$"
)


def _offset_given(value: Any) -> Any:
    if isinstance(value, str) and _NO_OFFSET.match(value):
        raise rule_broken(_("Give the time with its time zone."))
    return value


def _bookable(value: dt.datetime) -> dt.datetime:
    """The service's rules that need no calendar, so a 400 names them before any lookup."""
    now = timezone.now()
    if value < now:
        raise rule_broken(_("That time is in the past."))
    if value < now + dt.timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES):
        raise rule_broken(_("That time is too soon to book; choose a later one."))
    if value > now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise rule_broken(_("That time is too far ahead to book yet."))
    return value


def _a_bookable_time() -> dt.datetime:
    """A time the rules above accept (whether the therapist is free then is the calendar's
    to say): a day past the notice, on the hour."""
    notice = dt.timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES, days=1)
    earliest = timezone.now() + notice
    return earliest.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


StartsAt = Annotated[
    StrictDateTime,
    BeforeValidator(_offset_given),
    AfterValidator(_bookable),
    Documented(
        lambda: {
            "type": "string",
            "format": "date-time",
            "description": (
                "With its offset; at least MIN_BOOKING_NOTICE_MINUTES from now and at most "
                "BOOKING_HORIZON_DAYS ahead. It must also fall in the therapist's availability "
                "and be free (otherwise 409)."
            ),
            "example": _a_bookable_time().isoformat(),
        }
    ),
]
ModalityIn = Annotated[
    str,
    Choice(
        tuple(Appointment.Modality.values),
        message=lambda: _("Choose video, audio call or live chat."),
    ),
]
Days = Annotated[int, Query(ge=1, le=31, description="How many days ahead to look.")]


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_start: str


class SlotsOut(Schema):
    time_zone: str
    therapist_time_zone: str
    slots: list[SlotOut]


class AppointmentOut(Schema):
    id: int
    partnership_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_start: str
    modality: str
    status: str
    late_cancellation: bool
    late_minutes: int


class BookIn(Schema):
    model_config = ConfigDict(extra="forbid")

    partnership_id: BodyId
    starts_at: StartsAt
    modality: ModalityIn


class RescheduleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    starts_at: StartsAt


def _out(appointment: Appointment, user: User) -> dict[str, object]:
    zone = zone_of(user)
    return {
        "id": appointment.pk,
        "partnership_id": appointment.partnership_id,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "local_start": appointment.starts_at.astimezone(zone).isoformat(),
        "modality": appointment.modality,
        "status": appointment.status,
        "late_cancellation": appointment.late_cancellation,
        "late_minutes": appointment.late_minutes,
    }


def _appointment(user: User, pk: int) -> Appointment:
    try:
        return queries.appointment_for(user, pk)
    except Http404 as exc:
        raise HttpError(404, "no such appointment") from exc


@router.get(
    "/partnerships/{partnership_id}/slots",
    response=responses({200: SlotsOut}, 404),
    auth=PARTIES,
    summary="Open times of the partnership's therapist",
)
def slots(request: HttpRequest, partnership_id: PathId, days: Days = 7):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    try:
        partnership = partnership_for(user, partnership_id)
    except Http404 as exc:
        raise HttpError(404, "no such partnership") from exc
    now = timezone.now()
    start, end = now, now + dt.timedelta(days=days)
    calendar = availability.load_calendar(
        partnership.therapist, start, end, client=partnership.client
    )
    found = availability.open_slots(
        calendar,
        start,
        end,
        not_before=now + dt.timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES),
    )
    zone = zone_of(user)
    return {
        "time_zone": str(zone),
        "therapist_time_zone": str(calendar.zone),
        "slots": [
            {
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "local_start": s.starts_at.astimezone(zone).isoformat(),
            }
            for s in found
        ],
    }


@router.get(
    "/appointments", response=responses({200: list[AppointmentOut]}, inputs=False), auth=PARTIES
)
def upcoming(request: HttpRequest):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    return [_out(a, user) for a in queries.upcoming_for(user)[:200]]


@router.post(
    "/appointments",
    response=responses({201: AppointmentOut}, 404, 409),
    auth=PARTIES,
    summary="Book an appointment inside the therapist's availability",
)
def book(request: HttpRequest, payload: BookIn):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    try:
        partnership = partnership_for(user, payload.partnership_id)
    except Http404 as exc:
        raise HttpError(404, "no such partnership") from exc
    appointment = services.book_appointment(
        partnership=partnership,
        starts_at=payload.starts_at,
        modality=payload.modality,
        by=user,
    )
    return Status(201, _out(appointment, user))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response=responses({200: AppointmentOut}, 404, 409),
    auth=PARTIES,
)
def reschedule(request: HttpRequest, appointment_id: PathId, payload: RescheduleIn):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    appointment = _appointment(user, appointment_id)
    moved = services.reschedule_appointment(
        appointment=appointment, starts_at=payload.starts_at, by=user
    )
    return Status(200, _out(moved, user))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response=responses({200: AppointmentOut}, 404, 409, inputs=True),
    auth=PARTIES,
)
def cancel(request: HttpRequest, appointment_id: PathId):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    appointment = _appointment(user, appointment_id)
    cancelled = services.cancel_appointment(appointment=appointment, by=user)
    return Status(200, _out(cancelled, user))
