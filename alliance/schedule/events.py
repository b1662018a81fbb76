"""What the schedule announces to the parts above it (published through care/lifecycle.py,
after commit): it never imports them."""

from __future__ import annotations

from dataclasses import dataclass

from alliance.care.lifecycle import register_event


@register_event
@dataclass(frozen=True)
class SessionFinished:
    """An attended appointment has ended: the client's check-in about it is wanted."""

    partnership_id: int
    appointment_id: int


@register_event
@dataclass(frozen=True)
class AttendanceChanged:
    """Attendance or a late cancellation changed: the alert rules should look again (and
    billing settles what the appointment owes)."""

    partnership_id: int
    appointment_id: int | None = None


@register_event
@dataclass(frozen=True)
class AppointmentCancelled:
    """An appointment was cancelled: by whom, whether inside the late window, and why
    ("cancelled" by a person, "ended" with its partnership). A move inside the window
    cancels the original too; the new appointment names it as `rescheduled_from`."""

    appointment_id: int
    partnership_id: int
    by_id: int | None
    late: bool
    reason: str
