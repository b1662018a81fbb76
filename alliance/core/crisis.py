"""Crisis resources, configurable per jurisdiction (e.g. 988 in the US).

Shown at once wherever a client may be in crisis, and on every page under "Get help now".
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Used when a jurisdiction has none configured: always point to emergency services.
FALLBACK: list[dict[str, str]] = [
    {
        "name": str(_("Emergency services")),
        "contact": str(_("Call your local emergency number (112 in Europe, 911 in North America)")),
        "note": str(_("If you are in immediate danger.")),
    },
    {
        "name": "Find A Helpline",
        "contact": "findahelpline.com",
        "note": str(_("Free, confidential crisis lines in many countries.")),
    },
]


def resources_for(jurisdiction: Any) -> list[dict[str, str]]:
    configured = list(getattr(jurisdiction, "crisis_resources", None) or [])
    return configured + [r for r in FALLBACK if r not in configured]


def resources_for_user(user: Any) -> list[dict[str, str]]:
    profile = (
        getattr(user, "client_profile", None) if getattr(user, "is_authenticated", False) else None
    )
    return resources_for(getattr(profile, "jurisdiction", None))
