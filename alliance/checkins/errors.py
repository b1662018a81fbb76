"""The error every check-in service raises for input it refuses."""

from __future__ import annotations

from alliance.core.errors import DomainError


class CheckinError(DomainError):
    """Bad input to a check-in service; the message is safe to show."""

    status = 400
