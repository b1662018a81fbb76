"""Journal entries in a client's export (see privacy/rights.py); all text is encrypted with
the client's data key, so erasure is the key's destruction."""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.journal.models import JournalEntry


def export_client(user: User) -> dict[str, Any]:
    return {
        "entries": [
            {
                "written_at": entry.created_at.isoformat(),
                "prompt": entry.prompt,
                "text": entry.body,
                "bring_to_next_session": entry.bring_to_session,
                "mood": entry.mood,
                "shared_with_therapist_at": entry.shared_at.isoformat()
                if entry.shared_at
                else None,
            }
            for entry in JournalEntry.objects.filter(client=user).order_by("id")
        ]
    }
