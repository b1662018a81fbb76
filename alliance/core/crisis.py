"""Crisis resources, configurable per jurisdiction (e.g. 988 in the US).

Shown at once wherever a client may be in crisis, and on every page under "Get help now".
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Used when a jurisdiction has none configured: always point to emergency services. Kept lazy
# and resolved per request, so each page shows them in its own language.
_FALLBACK: list[tuple[Any, Any, Any]] = [
    (
        _("Emergency services"),
        _("Call your local emergency number (112 in Europe, 911 in North America)"),
        _("If you are in immediate danger."),
    ),
    (
        "Find A Helpline",
        "findahelpline.com",
        _("Free, confidential crisis lines in many countries."),
    ),
]


def fallback() -> list[dict[str, str]]:
    return [
        {"name": str(name), "contact": str(contact), "note": str(note)}
        for name, contact, note in _FALLBACK
    ]


def resources_for(jurisdiction: Any) -> list[dict[str, str]]:
    configured = list(getattr(jurisdiction, "crisis_resources", None) or [])
    contacts = {r.get("contact") for r in configured}
    return configured + [r for r in fallback() if r["contact"] not in contacts]


def resources_for_user(user: Any) -> list[dict[str, str]]:
    profile = (
        getattr(user, "client_profile", None) if getattr(user, "is_authenticated", False) else None
    )
    return resources_for(getattr(profile, "jurisdiction", None))
