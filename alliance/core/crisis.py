"""Crisis resources, configurable per jurisdiction (e.g. 988 in the US).

Shown at once wherever a client may be in crisis, and on every page under "Get help now".

A practice stores each jurisdiction's resources as it types them (usually in English). They
are shown in the reader's language: a stored contact or note that is one of the common
phrases below is translated from the catalogue, a resource may carry its own wording per
language (`{"name": ..., "contact": ..., "note": ..., "es": {"contact": ..., "note": ...}}`),
and where a service runs an official option in the reader's language it is added
(`LANGUAGE_OPTIONS`). Service names and numbers stay as officially called.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext, gettext_noop
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

# Phrases practices commonly store for a line's contact and hours (the demo jurisdictions
# use them). Marked for the catalogue here and translated when shown; any other stored text
# is shown as stored.
COMMON_PHRASES = (
    gettext_noop("Call or text 988"),
    gettext_noop("Call or text"),
    gettext_noop("24/7"),
    gettext_noop("24/7, free"),
    gettext_noop("24/7, free, confidential"),
    gettext_noop("24 hours"),
    gettext_noop("free"),
    gettext_noop("free, confidential"),
)

# Official options of a service in the reader's language, by the service's official name.
# 988 Suicide & Crisis Lifeline (US): calls offer "Spanish-language (Press 2)" and texts
# "our Spanish-language (text AYUDA)"; chat and text in Spanish since July 2023. Source:
# https://988lifeline.org/get-help/what-to-expect . (Canada's 9-8-8 is another service,
# in English and French: it gets no Spanish option.)
LANGUAGE_OPTIONS: dict[str, dict[str, str]] = {
    "988 Suicide & Crisis Lifeline": {
        "es": gettext_noop("for Spanish, press 2 when you call, or text AYUDA to 988"),
    },
}


def fallback() -> list[dict[str, str]]:
    return [
        {"name": str(name), "contact": str(contact), "note": str(note)}
        for name, contact, note in _FALLBACK
    ]


def _shown(text: Any) -> str:
    """A stored phrase in the active language when the catalogue has it, else as stored."""
    text = str(text or "")
    return gettext(text) if text in COMMON_PHRASES else text


def in_language(resource: dict[str, Any]) -> dict[str, str]:
    """One configured resource as the active language shows it (name and number unchanged)."""
    language = (get_language() or "en").split("-")[0]
    own = resource.get(language)
    own = own if isinstance(own, dict) else {}
    contact = str(own.get("contact") or _shown(resource.get("contact")))
    note = str(own.get("note") or _shown(resource.get("note")))
    option = LANGUAGE_OPTIONS.get(str(resource.get("name") or ""), {}).get(language)
    if option and not own.get("contact"):
        contact = f"{contact} ({gettext(option)})"
    shown = {"name": str(resource.get("name") or ""), "contact": contact}
    if note:
        shown["note"] = note
    return shown


def resources_for(jurisdiction: Any) -> list[dict[str, str]]:
    stored = [
        r for r in getattr(jurisdiction, "crisis_resources", None) or [] if isinstance(r, dict)
    ]
    contacts = {str(r.get("contact")) for r in stored}
    return [in_language(r) for r in stored] + [
        r for r in fallback() if r["contact"] not in contacts
    ]


def resources_for_user(user: Any) -> list[dict[str, str]]:
    profile = (
        getattr(user, "client_profile", None) if getattr(user, "is_authenticated", False) else None
    )
    return resources_for(getattr(profile, "jurisdiction", None))
