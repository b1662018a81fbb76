"""The audit of a therapist reading a conversation, shared by the page and the socket."""

from __future__ import annotations

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.privacy import audit


def audit_reading(reader: User, partnership: Partnership, *, refresh: bool) -> None:
    """A therapist's read of the messages is a staff read of clinical text: one audit row per
    opening of the conversation page; a re-read of what the page opened (a fragment refresh,
    a post, the socket's `sync` of history) adds a row only when the log has no opening of it
    by them within `audit.REFRESH_WINDOW` (`audit.record_opening`). A client reading their
    own conversation is not audited."""
    if reader.is_therapist:
        audit.record_opening(reader, partnership, refresh=refresh, reason="conversation")
