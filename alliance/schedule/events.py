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
    """Attendance or a late cancellation changed: the alert rules should look again."""

    partnership_id: int
