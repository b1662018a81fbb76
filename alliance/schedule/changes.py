"""What every write of an appointment shares: its locked row, and the announcement that
attendance changed (booking.py, attendance.py and progress_notes.py use both)."""

from __future__ import annotations

from django.db import transaction

from alliance.care import lifecycle
from alliance.schedule import events
from alliance.schedule.models import Appointment


def lock_appointment(appointment: Appointment) -> Appointment:
    """The appointment's row, locked for this transaction, with its partnership and people
    (every write of an appointment, here and in attendance.py and progress_notes.py)."""
    return (
        Appointment.objects.select_for_update()
        .select_related("partnership", "partnership__therapist", "partnership__client")
        .get(pk=appointment.pk)
    )


def evaluate_alerts(partnership_id: int, appointment_id: int | None = None) -> None:
    event = events.AttendanceChanged(partnership_id=partnership_id, appointment_id=appointment_id)
    transaction.on_commit(lambda: lifecycle.publish(event))


def announce_cancellation(appointment: Appointment, *, late: bool, reason: str) -> None:
    event = events.AppointmentCancelled(
        appointment_id=appointment.pk,
        partnership_id=appointment.partnership_id,
        by_id=appointment.cancelled_by_id,
        late=late,
        reason=reason,
    )
    transaction.on_commit(lambda: lifecycle.publish(event))
