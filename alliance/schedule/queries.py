"""Reads of the schedule that other parts call, each in one query for many partnerships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.care.queries import visible_partnerships
from alliance.measures.alerts.model import Attendance, AttendanceEvent
from alliance.schedule.models import Appointment

# Appointments that count as sessions: everything except a cancellation made in time.
# A late cancellation keeps its number (it is an attendance event), so check-ins, scores
# and attendance of one appointment share one session number (alerts/model.py).
COUNTED = ~Q(status=Appointment.Status.CANCELLED) | Q(late_cancellation=True)


def appointment_for(user: User, pk: int) -> Appointment:
    """The appointment `pk` if this user may open it; 404 otherwise (no existence leak).

    Same rule as partnerships: a client their own, a therapist those of active partnerships.
    """
    found = (
        Appointment.objects.filter(pk=pk, partnership__in=visible_partnerships(user))
        .select_related("partnership", "client", "therapist", "therapist__therapist_profile")
        .first()
    )
    if found is None:
        raise Http404("no such appointment")
    return found


def upcoming_for(user: User, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            partnership__in=visible_partnerships(user),
            partnership__status=Partnership.Status.ACTIVE,  # an ended one has no sessions
            status=Appointment.Status.SCHEDULED,
            ends_at__gt=now,
        )
        .select_related("client", "therapist")
        .order_by("starts_at", "id")
    )


def needs_marking(therapist: User, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """Past appointments of active partnerships whose attendance nobody has recorded."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            therapist=therapist,
            partnership__status=Partnership.Status.ACTIVE,
            status=Appointment.Status.SCHEDULED,
            ends_at__lte=now,
        )
        .select_related("client")
        .order_by("-starts_at")
    )


def history_of(partnership: Partnership) -> list[tuple[int | None, Appointment]]:
    """Every appointment of a partnership, newest first, with its session number."""
    appointments = list(
        Appointment.objects.filter(partnership=partnership)
        .select_related("progress_note")
        .order_by("starts_at", "id")
    )
    numbered: list[tuple[int | None, Appointment]] = []
    n = 0
    for appointment in appointments:
        if appointment.is_cancelled and not appointment.late_cancellation:
            numbered.append((None, appointment))
        else:
            n += 1
            numbered.append((n, appointment))
    return list(reversed(numbered))


def session_numbers(partnership_ids: Iterable[int]) -> dict[int, int]:
    """Appointment id -> session number (1, 2, ...) within its partnership."""
    out: dict[int, int] = {}
    counters: dict[int, int] = {}
    rows = (
        Appointment.objects.filter(COUNTED, partnership_id__in=list(partnership_ids))
        .order_by("partnership_id", "starts_at", "id")
        .values_list("id", "partnership_id")
    )
    for appointment_id, partnership_id in rows:
        counters[partnership_id] = counters.get(partnership_id, 0) + 1
        out[appointment_id] = counters[partnership_id]
    return out


def session_number_for_appointment(appointment_id: int) -> int | None:
    appointment = Appointment.objects.filter(pk=appointment_id).only("partnership_id").first()
    if appointment is None:
        return None
    return session_numbers([appointment.partnership_id]).get(appointment_id)


def attendance_for_alerts(
    partnership_ids: Iterable[int], *, now: dt.datetime | None = None
) -> dict[int, list[AttendanceEvent]]:
    """Attendance events per partnership, for the avoidance rule (one query).

    Attended (with minutes late), late cancellation and no-show; appointments still to
    come, or past ones nobody has recorded, give no event.
    """
    now = now or timezone.now()
    ids = list(partnership_ids)
    out: dict[int, list[AttendanceEvent]] = {pid: [] for pid in ids}
    counters: dict[int, int] = {}
    rows = (
        Appointment.objects.filter(COUNTED, partnership_id__in=ids)
        .order_by("partnership_id", "starts_at", "id")
        .values_list("partnership_id", "status", "late_minutes", "starts_at")
    )
    for partnership_id, status, late_minutes, starts_at in rows:
        counters[partnership_id] = session = counters.get(partnership_id, 0) + 1
        if status == Appointment.Status.CANCELLED:
            event = AttendanceEvent(session, Attendance.LATE_CANCELLATION)
        elif status == Appointment.Status.NO_SHOW:
            event = AttendanceEvent(session, Attendance.NO_SHOW)
        elif status == Appointment.Status.ATTENDED and starts_at <= now:
            event = AttendanceEvent(session, Attendance.ATTENDED, float(late_minutes))
        else:
            continue
        out[partnership_id].append(event)
    return out


def next_appointments(
    partnership_ids: Iterable[int], *, now: dt.datetime | None = None
) -> dict[int, dt.datetime]:
    """The start of each partnership's next (or current) appointment; absent when none."""
    now = now or timezone.now()
    rows = (
        Appointment.objects.filter(
            partnership_id__in=list(partnership_ids),
            status=Appointment.Status.SCHEDULED,
            ends_at__gt=now,
        )
        .values("partnership_id")
        .annotate(next_start=Min("starts_at"))
    )
    return {row["partnership_id"]: row["next_start"] for row in rows}


def last_attended(partnership_ids: Iterable[int]) -> dict[int, dt.datetime]:
    rows = (
        Appointment.objects.filter(
            partnership_id__in=list(partnership_ids), status=Appointment.Status.ATTENDED
        )
        .values("partnership_id")
        .annotate(last=Max("starts_at"))
    )
    return {row["partnership_id"]: row["last"] for row in rows}


def appointment_for_call(*, partnership: Partnership, at: dt.datetime) -> Appointment | None:
    """The partnership's current or imminent appointment: the call page uses it.

    Open from CALL_JOIN_EARLY_MINUTES before the start until the end; cancelled ones never.
    """
    early = dt.timedelta(minutes=settings.CALL_JOIN_EARLY_MINUTES)
    return (
        Appointment.objects.filter(
            partnership=partnership,
            starts_at__lte=at + early,
            ends_at__gt=at,
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("starts_at", "id")
        .first()
    )
