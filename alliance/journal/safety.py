"""Crisis language in journal entries.

A private entry is scanned only so the client sees crisis resources at once; it alerts
nobody (the consent text promises this, alliance/accounts/consent.py). A shared entry
follows the safety rule for messages: the therapist and the on-call clinician are alerted
in the same request (safety pre-empts everything: docs/alerts.md, "Safety").
"""

from __future__ import annotations

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import safety as checkins_safety


def crisis_phrases(text: str) -> list[str]:
    return list(checkins_safety.crisis_phrases(text))


def raise_alert(
    *, client: User, partnership: Partnership, entry_id: int, phrases: list[str]
) -> bool:
    """Alert the therapist and the on-call clinician about a shared entry (in the caller's
    transaction). The evidence names the entry and the phrases, never the entry's text."""
    checkins_safety.raise_safety_alert(
        client=client,
        partnership=partnership,
        source="shared_journal",
        evidence={"entry_id": entry_id, "phrases": list(phrases)},
    )
    return True
