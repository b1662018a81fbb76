"""The error every check-in service raises for input it refuses."""

from __future__ import annotations


class CheckinError(ValueError):
    """Bad input to a check-in service; the message is safe to show."""
