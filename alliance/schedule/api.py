"""JSON API for availability and booking (mounted at /api/schedule/).

Times are ISO 8601 with an offset; responses give UTC and the caller's local time.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from alliance.accounts.models import User
from alliance.care.queries import partnership_for
from alliance.privacy.access import ApiAccess
from alliance.schedule import availability, queries, services
from alliance.schedule.models import Appointment

router = Router(tags=["schedule"])
PARTIES = ApiAccess("client", "therapist", scope="own_partnerships")


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
    partnership_id: int
    starts_at: dt.datetime
    modality: str


class RescheduleIn(Schema):
    starts_at: dt.datetime


class ErrorOut(Schema):
    detail: str


def _out(appointment: Appointment, user: User) -> dict[str, object]:
    zone = availability.zone_of(user)
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
    response={200: SlotsOut, 404: ErrorOut},
    auth=PARTIES,
    summary="Open times of the partnership's therapist",
)
def slots(request: HttpRequest, partnership_id: int, days: int = 7):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    try:
        partnership = partnership_for(user, partnership_id)
    except Http404 as exc:
        raise HttpError(404, "no such partnership") from exc
    days = min(max(days, 1), 31)
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
    zone = availability.zone_of(user)
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


@router.get("/appointments", response=list[AppointmentOut], auth=PARTIES)
def upcoming(request: HttpRequest):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    return [_out(a, user) for a in queries.upcoming_for(user)[:200]]


@router.post(
    "/appointments",
    response={201: AppointmentOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=PARTIES,
    summary="Book an appointment inside the therapist's availability",
)
def book(request: HttpRequest, payload: BookIn):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    try:
        partnership = partnership_for(user, payload.partnership_id)
    except Http404 as exc:
        raise HttpError(404, "no such partnership") from exc
    try:
        appointment = services.book_appointment(
            partnership=partnership,
            starts_at=payload.starts_at,
            modality=payload.modality,
            by=user,
        )
    except services.SlotTaken as exc:
        return Status(409, {"detail": str(exc)})
    except services.ScheduleError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _out(appointment, user))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={200: AppointmentOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=PARTIES,
)
def reschedule(request: HttpRequest, appointment_id: int, payload: RescheduleIn):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    appointment = _appointment(user, appointment_id)
    try:
        moved = services.reschedule_appointment(
            appointment=appointment, starts_at=payload.starts_at, by=user
        )
    except services.SlotTaken as exc:
        return Status(409, {"detail": str(exc)})
    except services.ScheduleError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(200, _out(moved, user))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, 400: ErrorOut, 404: ErrorOut},
    auth=PARTIES,
)
def cancel(request: HttpRequest, appointment_id: int):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    appointment = _appointment(user, appointment_id)
    try:
        cancelled = services.cancel_appointment(appointment=appointment, by=user)
    except services.ScheduleError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(200, _out(cancelled, user))
