"""Crisis language in journal entries.

A private entry is scanned only so the client sees crisis resources at once; it alerts
nobody (the consent text promises this, alliance/accounts/consent.py). A shared entry
follows the safety rule for messages: the therapist and the on-call clinician are alerted
in the same request (DESIGN.md, "safety pre-empts everything").
"""

from __future__ import annotations

import logging
from typing import Any

from alliance.goals.hooks import optional

logger = logging.getLogger(__name__)


def crisis_phrases(text: str) -> list[str]:
    detect = optional("alliance.checkins.safety", "crisis_phrases")
    if detect is not None:
        return list(detect(text))
    # Until the check-ins part wraps it, ask the rule-based detector directly.
    from alliance.measures.alerts import crisis_language

    return list(crisis_language.phrases(text))


def raise_alert(*, client: Any, partnership: Any, entry_id: int, phrases: list[str]) -> bool:
    """Alert the therapist and the on-call clinician about a shared entry; True if raised.

    Returns False only when no safety-alert service is installed, so the client is never
    told that someone was alerted when nobody was.
    """
    raise_safety_alert = optional("alliance.checkins.safety", "raise_safety_alert")
    if raise_safety_alert is None:
        logger.error("shared journal entry %s has crisis language but no alert service", entry_id)
        return False
    raise_safety_alert(
        client=client,
        partnership=partnership,
        source="shared_journal",
        evidence={"entry_id": entry_id, "phrases": list(phrases)},
    )
    return True
