"""Background tasks of the schedule. Each takes ids, reloads, and is idempotent.

Reminders are enqueued at booking time to run 24 h and 1 h before the start (django-tasks'
`run_after`, which the database backend supports). A rescheduled appointment gets new
reminder tasks; the stale ones find that the start they were made for has changed and send
nothing. `ReminderSent` rows make a duplicated or retried task send at most once.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from alliance.accounts.models import User
from alliance.core import mail
from alliance.core.zones import zone_of
from alliance.notify import kinds as notify_kinds
from alliance.notify import services as notify
from alliance.schedule import attendance, dropout, ics
from alliance.schedule.models import Appointment, ReminderSent

REMINDERS = {"24h": dt.timedelta(hours=24), "1h": dt.timedelta(hours=1)}
# Attendance is settled this long after the end, so a call running over is not cut short.
CLOSE_AFTER = dt.timedelta(minutes=15)


def _appointment(appointment_id: int) -> Appointment | None:
    return (
        Appointment.objects.select_related("client", "therapist", "partnership")
        .filter(pk=appointment_id)
        .first()
    )


def _email(
    appointment: Appointment,
    recipient: User,
    *,
    subject: str,
    template: str,
    extra: dict[str, object],
) -> notify.Email:
    zone = zone_of(recipient)
    method = "CANCEL" if appointment.is_cancelled else "PUBLISH"
    return notify.Email(
        subject=subject,
        template=template,
        context={
            "appointment": appointment,
            "local_start": appointment.starts_at.astimezone(zone),
            "zone": str(zone),
            "url": mail.link("schedule:appointment", appointment.pk),
            **extra,
        },
        attachments=(
            (
                "alliance-session.ics",
                ics.attachment_for(appointment, now=timezone.now()),
                f"text/calendar; method={method}",
            ),
        ),
    )


def _mail(
    appointment: Appointment,
    recipient: User,
    *,
    subject: str,
    template: str,
    extra: dict[str, object],
) -> None:
    email = _email(appointment, recipient, subject=subject, template=template, extra=extra)
    mail.send(
        recipient,
        subject=email.subject,
        template=email.template,
        context=email.context,
        attachments=email.attachments,
    )


SUBJECTS = {
    "booked": gettext_noop("Your Alliance session is booked"),
    "rescheduled": gettext_noop("Your Alliance session has moved"),
    "cancelled": gettext_noop("Your Alliance session is cancelled"),
    "ended": gettext_noop("Your Alliance session is cancelled"),
}


@task()
def send_appointment_email(appointment_id: int, event: str, sequence: int) -> int:
    """Booking, move or cancellation e-mail to both people, with an .ics attached.

    Skipped when the appointment has changed again since (a newer e-mail is on its way).
    """
    appointment = _appointment(appointment_id)
    if appointment is None or appointment.sequence != sequence or event not in SUBJECTS:
        return 0
    # A deactivated account (an erased client, a therapist who has left) gets no e-mail.
    recipients = [u for u in (appointment.client, appointment.therapist) if u.is_active]
    for recipient in recipients:
        _mail(
            appointment,
            recipient,
            subject=SUBJECTS[event],
            template="schedule/email/appointment.txt",
            extra={"event": event},
        )
    return len(recipients)


def schedule_followups(appointment_id: int) -> list[str]:
    """Enqueue the reminders and the after-the-end attendance check for the current start."""
    appointment = _appointment(appointment_id)
    if appointment is None or appointment.is_cancelled:
        return []
    now = timezone.now()
    starts_at = appointment.starts_at
    queued = []
    for kind, before in REMINDERS.items():
        due = starts_at - before
        if due < now - dt.timedelta(minutes=5):
            continue  # booked inside this reminder's window: the booking e-mail is enough
        send_reminder.using(run_after=max(due, now)).enqueue(
            appointment_id, kind, starts_at.isoformat()
        )
        queued.append(kind)
    close_appointment.using(run_after=appointment.ends_at + CLOSE_AFTER).enqueue(appointment_id)
    queued.append("close")
    return queued


@task()
def send_reminder(appointment_id: int, kind: str, starts_at: str) -> bool:
    appointment = _appointment(appointment_id)
    if appointment is None or kind not in REMINDERS:
        return False
    expected = dt.datetime.fromisoformat(starts_at)
    if (
        not appointment.partnership.is_active  # never a reminder for an ended partnership
        or appointment.status != Appointment.Status.SCHEDULED
        or appointment.starts_at != expected
        or appointment.starts_at <= timezone.now()
    ):
        return False  # cancelled, moved (a newer reminder exists) or already started
    with transaction.atomic():
        try:
            with transaction.atomic():
                ReminderSent.objects.create(appointment=appointment, kind=kind, starts_at=expected)
        except IntegrityError:
            return False  # already sent
        for recipient in (appointment.client, appointment.therapist):
            # E-mail as before; push and text by the person's choices, held in their quiet
            # hours and left out if they would arrive after the start.
            notify.send(
                recipient,
                notify_kinds.REMINDER,
                key=f"reminder:{appointment.pk}:{kind}:{starts_at}",
                link=mail.link("schedule:appointment", appointment.pk),
                facts={"starts_at": appointment.starts_at.isoformat()},
                email=_email(
                    appointment,
                    recipient,
                    subject=gettext_noop("Reminder: your Alliance session"),
                    template="schedule/email/reminder.txt",
                    extra={"kind": kind},
                ),
                expires_at=appointment.starts_at,
            )
    return True


@task()
def close_appointment(appointment_id: int) -> str:
    return attendance.close_appointment(appointment_id=appointment_id)


@task()
def mark_dropouts() -> list[int]:
    """Daily: end partnerships that meet the dropout rule (alliance/schedule/dropout.py)."""

    return dropout.mark_dropouts()


@task()
def request_follow_ups() -> list[int]:
    """Daily: the three-month follow-up check after planned endings."""
    from alliance.care import ending

    return ending.request_due_follow_ups()
