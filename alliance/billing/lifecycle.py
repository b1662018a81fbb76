"""How billing answers the partnership lifecycle and the schedule's events.

The schedule publishes after commit; each handler settles what the appointment now owes
(charging.py), which is idempotent: an event delivered twice, or out of order, ends in the
same charge. A handler lost with a dying worker is caught up by the daily reconcile job.

A partnership's end changes nothing already owed: its charges and invoices are accounting
records and stay; its upcoming appointments are cancelled by the schedule as not late.
"""

from __future__ import annotations

from alliance.billing.charging import settle_appointment
from alliance.care.lifecycle import PartnershipEnded
from alliance.schedule.events import AppointmentCancelled, AttendanceChanged, SessionFinished


def keep_accounts(event: PartnershipEnded) -> None:
    """Nothing to undo: what was owed stays owed, and nothing new is charged."""


def charge_session(event: SessionFinished) -> None:
    settle_appointment(appointment_id=event.appointment_id)


def charge_attendance(event: AttendanceChanged) -> None:
    if event.appointment_id is not None:
        settle_appointment(appointment_id=event.appointment_id)


def charge_cancellation(event: AppointmentCancelled) -> None:
    settle_appointment(appointment_id=event.appointment_id)


HANDLERS = {
    PartnershipEnded: keep_accounts,
    SessionFinished: charge_session,
    AttendanceChanged: charge_attendance,
    AppointmentCancelled: charge_cancellation,
}
