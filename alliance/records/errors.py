"""The refusals of records: every records write raises these, with a message that is shown to
the person as it is."""

from __future__ import annotations

from alliance.core.errors import DomainError


class RecordsError(DomainError):
    """A request records refuses; the message is shown to the person as it is."""
