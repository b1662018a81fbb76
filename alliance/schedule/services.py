"""Every write of the schedule: availability, booking, rescheduling, cancelling,
attendance (from call join times or marked by the therapist), progress notes, feeds.

Side effects (e-mails, reminders, check-in requests, alert re-evaluation) are enqueued on
commit. The database refuses double booking on its own (see overlap.py); the checks here
exist to give a clear message first.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care import lifecycle
from alliance.care.models import Partnership
from alliance.core.errors import DomainError
from alliance.core.zones import therapist_zone
from alliance.directory.models import AvailabilityWindow, TherapistProfile
from alliance.schedule import availability, events
from alliance.schedule.models import (
    Appointment,
    AvailabilityException,
    CalendarFeed,
    ProgressNote,
    TimeOff,
    new_feed_token,
)


class ScheduleError(DomainError):
    """A request the schedule refuses; the message is shown to the person as it is."""


class SlotTaken(ScheduleError):
    pass


def _span(starts_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start (to the minute) and end of an appointment starting then; a start at the very
    end of the calendar (year 9999) has no end to compute and is refused."""
    starts_at = starts_at.replace(second=0, microsecond=0)
    try:
        return starts_at, starts_at + availability.appointment_length()
    except OverflowError:
        raise ScheduleError(_("That time is too far ahead to book yet.")) from None


NOTE_MAX_CHARS = 20_000


# --- availability ---------------------------------------------------------------------


def _profile(therapist: User) -> TherapistProfile:
    profile = TherapistProfile.objects.filter(user=therapist).first()
    if profile is None or not therapist.is_therapist:
        raise ScheduleError(_("Only therapists have availability."))
    return profile


@transaction.atomic
def add_weekly_window(
    *, therapist: User, weekday: int, start: dt.time, end: dt.time
) -> AvailabilityWindow:
    profile = _profile(therapist)
    if not 0 <= weekday <= 6:
        raise ScheduleError(_("Choose a day of the week."))
    if end <= start:
        raise ScheduleError(_("The end must be after the start."))
    overlapping = AvailabilityWindow.objects.filter(
        therapist=profile, weekday=weekday, start__lt=end, end__gt=start
    )
    if overlapping.exists():
        raise ScheduleError(_("This overlaps a window you already have on that day."))
    return AvailabilityWindow.objects.create(
        therapist=profile, weekday=weekday, start=start, end=end
    )


@transaction.atomic
def remove_weekly_window(*, therapist: User, window_id: int) -> None:
    deleted, _rows = AvailabilityWindow.objects.filter(
        pk=window_id, therapist__user=therapist
    ).delete()
    if not deleted:
        raise ScheduleError(_("No such availability window."))


@transaction.atomic
def add_exception(
    *,
    therapist: User,
    date: dt.date,
    kind: str,
    start: dt.time | None = None,
    end: dt.time | None = None,
) -> AvailabilityException:
    _profile(therapist)
    if kind not in AvailabilityException.Kind.values:
        raise ScheduleError(_("Choose whether you are available or not."))
    if (start is None) != (end is None):
        raise ScheduleError(_("Give both a start and an end time, or neither."))
    if start is not None and end is not None and end <= start:
        raise ScheduleError(_("The end must be after the start."))
    if kind == AvailabilityException.Kind.EXTRA and start is None:
        raise ScheduleError(_("Extra availability needs a start and an end time."))
    if date < timezone.now().astimezone(therapist_zone(therapist)).date():
        raise ScheduleError(_("That date has passed."))
    return AvailabilityException.objects.create(
        therapist=therapist, date=date, kind=kind, start=start, end=end
    )


@transaction.atomic
def add_time_off(
    *, therapist: User, first_day: dt.date, last_day: dt.date, label: str = ""
) -> TimeOff:
    _profile(therapist)
    if last_day < first_day:
        raise ScheduleError(_("The last day must not be before the first."))
    if last_day < timezone.now().astimezone(therapist_zone(therapist)).date():
        raise ScheduleError(_("That time has passed."))
    return TimeOff.objects.create(
        therapist=therapist, first_day=first_day, last_day=last_day, label=label.strip()[:120]
    )


@transaction.atomic
def remove_exception(*, therapist: User, kind: str, pk: int) -> None:
    model = TimeOff if kind == "time_off" else AvailabilityException
    deleted, _rows = model.objects.filter(pk=pk, therapist=therapist).delete()
    if not deleted:
        raise ScheduleError(_("No such entry."))


# --- booking --------------------------------------------------------------------------


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


def _lock(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("partnership", "partnership__therapist", "partnership__client")
        .get(pk=appointment.pk)
    )


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
    locked = _lock(appointment)
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
    if late:
        _evaluate_alerts(appointment.partnership_id)


@transaction.atomic
def cancel_appointment(
    *, appointment: Appointment, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Cancel an upcoming appointment. A client cancelling inside the window is recorded as
    a late cancellation; a therapist's cancellation never counts against the client."""
    now = now or timezone.now()
    locked = _lock(appointment)
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
    from alliance.schedule import tasks

    appointment_id, sequence = appointment.pk, appointment.sequence
    transaction.on_commit(
        lambda: tasks.send_appointment_email.enqueue(appointment_id, event, sequence)
    )
    if event in {"booked", "rescheduled"}:
        transaction.on_commit(lambda: tasks.schedule_followups(appointment_id))


# --- attendance -----------------------------------------------------------------------


def _evaluate_alerts(partnership_id: int) -> None:
    event = events.AttendanceChanged(partnership_id=partnership_id)
    transaction.on_commit(lambda: lifecycle.publish(event))


def _late_minutes(appointment: Appointment, joined_at: dt.datetime) -> int:
    seconds = (joined_at - appointment.starts_at).total_seconds()
    return max(0, min(math.floor(seconds / 60), 32767))


@transaction.atomic
def record_call_join(*, appointment_id: int, user: User, at: dt.datetime) -> None:
    """A participant joined the appointment's call. The client's first join marks the
    appointment attended, with lateness from the start time; joins outside the
    appointment's time (from CALL_JOIN_EARLY_MINUTES before to the end) are ignored."""
    appointment = _lock(Appointment(pk=appointment_id))
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
    _evaluate_alerts(appointment.partnership_id)


@transaction.atomic
def record_call_leave(*, appointment_id: int, user: User, at: dt.datetime) -> None:
    """A participant left the call. Once both have left after meeting, and at least half
    the appointment's time has passed, the appointment is finished (check-in requested);
    otherwise a dropped connection and a rejoin are just that."""
    appointment = _lock(Appointment(pk=appointment_id))
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
    locked = _lock(appointment)
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
    _evaluate_alerts(locked.partnership_id)
    if status == Appointment.Status.ATTENDED:
        finish_appointment(appointment=locked, now=now)
    return locked


@transaction.atomic
def finish_appointment(*, appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """An attended appointment has ended: request the client's check-in, once."""
    now = now or timezone.now()
    locked = _lock(appointment)
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
    appointment = _lock(Appointment(pk=appointment_id))
    if appointment.ends_at > now or appointment.is_cancelled:
        return "not due"
    if appointment.status == Appointment.Status.SCHEDULED:
        if appointment.client_joined_at is None and appointment.therapist_joined_at is not None:
            appointment.status = Appointment.Status.NO_SHOW
            appointment.attendance_source = Appointment.Source.CALL
            appointment.save(update_fields=["status", "attendance_source"])
            _evaluate_alerts(appointment.partnership_id)
            return "no_show"
        return "needs marking"
    if finish_appointment(appointment=appointment, now=now):
        return "finished"
    return "already settled"


# --- progress notes -------------------------------------------------------------------


@transaction.atomic
def save_progress_note(
    *,
    appointment: Appointment,
    author: User,
    template: str,
    text: str = "",
    subjective: str = "",
    objective: str = "",
    assessment: str = "",
    plan: str = "",
) -> ProgressNote:
    locked = _lock(appointment)
    if author.pk != locked.therapist_id or not locked.partnership.is_active:
        raise ScheduleError(_("Only the client's current therapist can write notes."))
    if template not in ProgressNote.Template.values:
        raise ScheduleError(_("Choose a note format."))
    parts = {
        "text": text.strip(),
        "subjective": subjective.strip(),
        "objective": objective.strip(),
        "assessment": assessment.strip(),
        "plan": plan.strip(),
    }
    used = ["text"] if template == ProgressNote.Template.FREE else list(parts)[1:]
    if not any(parts[name] for name in used):
        raise ScheduleError(_("A note cannot be empty."))
    if sum(len(parts[name]) for name in used) > NOTE_MAX_CHARS:
        raise ScheduleError(_("A note can be at most %(n)d characters.") % {"n": NOTE_MAX_CHARS})
    note = ProgressNote.objects.filter(appointment=locked).first() or ProgressNote(
        appointment=locked, partnership=locked.partnership, author=author
    )
    note.template = template
    for name, value in parts.items():
        setattr(note, name, value if name in used else "")
    note.save()
    return note


@transaction.atomic
def share_progress_note(*, note: ProgressNote, by: User, shared: bool) -> ProgressNote:
    if by.pk != note.author_id or not note.partnership.is_active:
        raise ScheduleError(_("Only the note's author can share it."))
    note.shared_at = timezone.now() if shared else None
    note.save(update_fields=["shared_at"])
    return note


# --- calendar feed --------------------------------------------------------------------


@transaction.atomic
def feed_for(*, user: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def revoke_feed(*, user: User) -> CalendarFeed:
    """A new secret: the old feed URL stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed
