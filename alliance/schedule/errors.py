"""The refusals of the schedule: every schedule write raises these, with a message that is
shown to the person as it is."""

from __future__ import annotations

from alliance.core.errors import DomainError


class ScheduleError(DomainError):
    """A request the schedule refuses; the message is shown to the person as it is."""


class SlotTaken(ScheduleError):
    pass


class NoteLocked(ScheduleError):
    """A change to a signed progress note or an addendum: refused by the model itself."""
