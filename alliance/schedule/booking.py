"""Booking, moving and cancelling appointments.

The database refuses double booking on its own (see overlap.py); the checks here exist to
give a clear message first. E-mails and reminders are enqueued on commit.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.core import gates
from alliance.schedule import availability, tasks
from alliance.schedule.changes import announce_cancellation, evaluate_alerts, lock_appointment
from alliance.schedule.errors import ScheduleError, SlotTaken
from alliance.schedule.models import Appointment


def _span(starts_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start (to the minute) and end of an appointment starting then; a start at the very
    end of the calendar (year 9999) has no end to compute and is refused."""
    starts_at = starts_at.replace(second=0, microsecond=0)
    try:
        return starts_at, starts_at + availability.appointment_length()
    except OverflowError:
        raise ScheduleError(_("That time is too far ahead to book yet.")) from None


def _check_time(
    *,
    partnership: Partnership,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    ignore_appointment: int | None = None,
    now: dt.datetime,
) -> None:
    if timezone.is_naive(starts_at):
        raise ScheduleError(_("Give the time with its time zone."))
    notice = dt.timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES)
    if starts_at < now:
        raise ScheduleError(_("That time is in the past."))
    if starts_at < now + notice:
        raise ScheduleError(_("That time is too soon to book; choose a later one."))
    if starts_at > now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise ScheduleError(_("That time is too far ahead to book yet."))
    calendar = availability.load_calendar(
        partnership.therapist,
        starts_at,
        ends_at,
        client=partnership.client,
        ignore_appointment=ignore_appointment,
    )
    if not calendar.within_availability(starts_at, ends_at):
        raise ScheduleError(_("Your therapist is not available at that time."))
    if calendar.is_busy(starts_at, ends_at):
        raise SlotTaken(_("That time is already taken. Please choose another."))


def _check_party(partnership: Partnership, by: User) -> None:
    if by.pk not in (partnership.client_id, partnership.therapist_id):
        raise ScheduleError(_("You are not part of this partnership."))
    if not partnership.is_active:
        raise ScheduleError(_("This partnership has ended."))


def _insert(appointment: Appointment) -> Appointment:
    """Insert or update inside a savepoint: the database's overlap guard is the last word."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        raise SlotTaken(_("That time is already taken. Please choose another.")) from exc
    return appointment


@transaction.atomic
def book_appointment(
    *,
    partnership: Partnership,
    starts_at: dt.datetime,
    modality: str,
    by: User,
    now: dt.datetime | None = None,
) -> Appointment:
    now = now or timezone.now()
    _check_party(partnership, by)
    blockers = gates.booking_blockers(partnership.client)
    if blockers:
        raise ScheduleError(
            _("Before booking, the practice needs this first: %(list)s.")
            % {"list": "; ".join(str(b.label) for b in blockers)}
        )
    if modality not in Appointment.Modality.values:
        raise ScheduleError(_("Choose video, audio call or live chat."))
    offered = getattr(getattr(partnership.therapist, "therapist_profile", None), "modalities", [])
    if offered and modality not in offered:
        raise ScheduleError(_("Your therapist does not offer this way of meeting."))
    starts_at, ends_at = _span(starts_at)
    _check_time(partnership=partnership, starts_at=starts_at, ends_at=ends_at, now=now)
    appointment = _insert(
        Appointment(
            partnership=partnership,
            therapist_id=partnership.therapist_id,
            client_id=partnership.client_id,
            starts_at=starts_at,
            ends_at=ends_at,
            modality=modality,
            booked_by=by,
        )
    )
    _after_change(appointment, event="booked")
    return appointment


def is_late(appointment: Appointment, now: dt.datetime) -> bool:
    """Within the late-cancellation window (LATE_CANCELLATION_HOURS before the start)."""
    return now > appointment.starts_at - dt.timedelta(hours=settings.LATE_CANCELLATION_HOURS)


@transaction.atomic
def reschedule_appointment(
    *, appointment: Appointment, starts_at: dt.datetime, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Move an appointment. Inside the late-cancellation window a client's move counts as a
    late cancellation of the original (it is what the avoidance rule reads) and a new
    appointment is booked; outside it, the appointment simply moves."""
    now = now or timezone.now()
    locked = lock_appointment(appointment)
    partnership = locked.partnership
    _check_party(partnership, by)
    if locked.status != Appointment.Status.SCHEDULED or locked.starts_at <= now:
        raise ScheduleError(_("Only an upcoming appointment can be moved."))
    starts_at, ends_at = _span(starts_at)
    if starts_at == locked.starts_at:
        raise ScheduleError(_("That is the time it already has."))
    late = by.pk == locked.client_id and is_late(locked, now)
    _check_time(
        partnership=partnership,
        starts_at=starts_at,
        ends_at=ends_at,
        ignore_appointment=locked.pk,
        now=now,
    )
    if late:
        _cancel(locked, by=by, now=now, late=True)
        moved = _insert(
            Appointment(
                partnership=partnership,
                therapist_id=locked.therapist_id,
                client_id=locked.client_id,
                starts_at=starts_at,
                ends_at=ends_at,
                modality=locked.modality,
                booked_by=by,
                rescheduled_from=locked,
            )
        )
        _after_change(moved, event="booked")
        return moved
    locked.starts_at, locked.ends_at = starts_at, ends_at
    locked.sequence += 1
    _insert_update(locked, ["starts_at", "ends_at", "sequence"])
    _after_change(locked, event="rescheduled")
    return locked


def _insert_update(appointment: Appointment, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            appointment.save(update_fields=fields)
    except IntegrityError as exc:
        raise SlotTaken(_("That time is already taken. Please choose another.")) from exc


def _cancel(
    appointment: Appointment,
    *,
    by: User,
    now: dt.datetime,
    late: bool,
    event: str = "cancelled",
) -> None:
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = by
    appointment.late_cancellation = late
    appointment.sequence += 1
    appointment.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "late_cancellation", "sequence"]
    )
    _after_change(appointment, event=event)
    announce_cancellation(appointment, late=late, reason=event)
    if late:
        evaluate_alerts(appointment.partnership_id, appointment.pk)


@transaction.atomic
def cancel_appointment(
    *, appointment: Appointment, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Cancel an upcoming appointment. A client cancelling inside the window is recorded as
    a late cancellation; a therapist's cancellation never counts against the client."""
    now = now or timezone.now()
    locked = lock_appointment(appointment)
    if by.pk not in (locked.client_id, locked.therapist_id):
        raise ScheduleError(_("You are not part of this appointment."))
    if locked.status != Appointment.Status.SCHEDULED or locked.starts_at <= now:
        raise ScheduleError(_("Only an upcoming appointment can be cancelled."))
    _cancel(locked, by=by, now=now, late=by.pk == locked.client_id and is_late(locked, now))
    return locked


def cancel_for_ending(*, partnership_id: int, by_id: int | None, now: dt.datetime) -> int:
    """The partnership has ended: cancel its upcoming appointments through the ordinary
    cancel (both people get the notice with a calendar CANCEL of the same UID and a higher
    SEQUENCE), never as a late cancellation. Returns how many."""
    upcoming = Appointment.objects.select_for_update().filter(
        partnership_id=partnership_id, status=Appointment.Status.SCHEDULED, starts_at__gt=now
    )
    count = 0
    staff: User | None = None
    for appointment in upcoming.select_related("client", "therapist"):
        # Who cancelled: the client or therapist who ended it, staff (the therapist leaving,
        # an erasure), or, for the dropout job, the therapist (never the client's doing).
        by = appointment.client if by_id == appointment.client_id else appointment.therapist
        if by_id is not None and by_id not in (appointment.client_id, appointment.therapist_id):
            staff = staff or User.objects.get(pk=by_id)
            by = staff
        _cancel(appointment, by=by, now=now, late=False, event="ended")
        count += 1
    return count


def _after_change(appointment: Appointment, *, event: str) -> None:
    appointment_id, sequence = appointment.pk, appointment.sequence
    transaction.on_commit(
        lambda: tasks.send_appointment_email.enqueue(appointment_id, event, sequence)
    )
    if event in {"booked", "rescheduled"}:
        transaction.on_commit(lambda: tasks.schedule_followups(appointment_id))


# A late cancellation counts against attendance, as a missed session does (attendance.py):
# both ask the check-ins part to re-evaluate the partnership's alerts once committed.
