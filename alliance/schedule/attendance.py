"""Attendance: from the call's join and leave times, or marked by the therapist; an
attended appointment that has ended is finished and the client's check-in requested.
Alert re-evaluation and the check-in request are announced on commit."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care import lifecycle
from alliance.schedule import events
from alliance.schedule.changes import evaluate_alerts, lock_appointment
from alliance.schedule.errors import ScheduleError
from alliance.schedule.models import Appointment


def _late_minutes(appointment: Appointment, joined_at: dt.datetime) -> int:
    seconds = (joined_at - appointment.starts_at).total_seconds()
    return max(0, min(math.floor(seconds / 60), 32767))


@transaction.atomic
def record_call_join(*, appointment_id: int, user: User, at: dt.datetime) -> None:
    """A participant joined the appointment's call. The client's first join marks the
    appointment attended, with lateness from the start time; joins outside the
    appointment's time (from CALL_JOIN_EARLY_MINUTES before to the end) are ignored."""
    appointment = lock_appointment(Appointment(pk=appointment_id))
    if not appointment.involves(user):
        raise ScheduleError("this user is not part of the appointment")
    early = dt.timedelta(minutes=settings.CALL_JOIN_EARLY_MINUTES)
    if appointment.is_cancelled or not (appointment.starts_at - early <= at <= appointment.ends_at):
        return
    if user.pk == appointment.therapist_id:
        if appointment.therapist_joined_at is None:
            appointment.therapist_joined_at = at
            appointment.save(update_fields=["therapist_joined_at"])
        return
    if appointment.client_joined_at is not None:
        return
    appointment.client_joined_at = at
    fields = ["client_joined_at"]
    if appointment.attendance_source != Appointment.Source.THERAPIST:
        appointment.status = Appointment.Status.ATTENDED
        appointment.late_minutes = _late_minutes(appointment, at)
        appointment.attendance_source = Appointment.Source.CALL
        fields += ["status", "late_minutes", "attendance_source"]
    appointment.save(update_fields=fields)
    evaluate_alerts(appointment.partnership_id)


@transaction.atomic
def record_call_leave(*, appointment_id: int, user: User, at: dt.datetime) -> None:
    """A participant left the call. Once both have left after meeting, and at least half
    the appointment's time has passed, the appointment is finished (check-in requested);
    otherwise a dropped connection and a rejoin are just that."""
    appointment = lock_appointment(Appointment(pk=appointment_id))
    if not appointment.involves(user):
        raise ScheduleError("this user is not part of the appointment")
    if appointment.is_cancelled:
        return
    field = "therapist_left_at" if user.pk == appointment.therapist_id else "client_left_at"
    setattr(appointment, field, at)
    appointment.save(update_fields=[field])
    both_left = all(
        joined is not None and left is not None and left >= joined
        for joined, left in (
            (appointment.client_joined_at, appointment.client_left_at),
            (appointment.therapist_joined_at, appointment.therapist_left_at),
        )
    )
    halfway = appointment.starts_at + (appointment.ends_at - appointment.starts_at) / 2
    if both_left and at >= halfway:
        finish_appointment(appointment=appointment, now=at)


@transaction.atomic
def mark_attendance(
    *,
    appointment: Appointment,
    by: User,
    status: str,
    late_minutes: int = 0,
    now: dt.datetime | None = None,
) -> Appointment:
    """The therapist records what happened (e.g. a live-chat appointment, or a call that
    did not go through the platform). Their mark overrides what the join times said."""
    now = now or timezone.now()
    locked = lock_appointment(appointment)
    if by.pk != locked.therapist_id or not locked.partnership.is_active:
        raise ScheduleError(_("Only the client's current therapist can record attendance."))
    if locked.is_cancelled:
        raise ScheduleError(_("This appointment was cancelled."))
    if locked.starts_at > now:
        raise ScheduleError(_("Attendance can be recorded once the appointment has started."))
    if status not in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW):
        raise ScheduleError(_("Choose attended or missed."))
    if not 0 <= late_minutes <= locked.duration_minutes:
        raise ScheduleError(_("Lateness must be between 0 and the appointment's length."))
    locked.status = status
    locked.late_minutes = late_minutes if status == Appointment.Status.ATTENDED else 0
    locked.attendance_source = Appointment.Source.THERAPIST
    locked.save(update_fields=["status", "late_minutes", "attendance_source"])
    evaluate_alerts(locked.partnership_id, locked.pk)
    if status == Appointment.Status.ATTENDED:
        finish_appointment(appointment=locked, now=now)
    return locked


@transaction.atomic
def finish_appointment(*, appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """An attended appointment has ended: request the client's check-in, once."""
    now = now or timezone.now()
    locked = lock_appointment(appointment)
    if locked.status != Appointment.Status.ATTENDED or locked.checkin_requested_at is not None:
        return False
    locked.finished_at = locked.finished_at or now
    locked.checkin_requested_at = now
    locked.save(update_fields=["finished_at", "checkin_requested_at"])
    event = events.SessionFinished(partnership_id=locked.partnership_id, appointment_id=locked.pk)
    transaction.on_commit(lambda: lifecycle.publish(event))
    return True


@transaction.atomic
def close_appointment(*, appointment_id: int, now: dt.datetime | None = None) -> str:
    """After the end time: settle attendance from the join times and finish.

    The client is marked missed only when the therapist joined and the client never did;
    when nobody joined (e.g. they met by live chat) the therapist records it instead.
    """
    now = now or timezone.now()
    appointment = lock_appointment(Appointment(pk=appointment_id))
    if appointment.ends_at > now or appointment.is_cancelled:
        return "not due"
    if appointment.status == Appointment.Status.SCHEDULED:
        if appointment.client_joined_at is None and appointment.therapist_joined_at is not None:
            appointment.status = Appointment.Status.NO_SHOW
            appointment.attendance_source = Appointment.Source.CALL
            appointment.save(update_fields=["status", "attendance_source"])
            evaluate_alerts(appointment.partnership_id, appointment.pk)
            return "no_show"
        return "needs marking"
    if finish_appointment(appointment=appointment, now=now):
        return "finished"
    return "already settled"
