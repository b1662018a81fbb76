"""The Stripe settings read at start-up (settings.py), each refused with its name when bad.

Imported by settings.py, so it imports nothing of Django's models or the app."""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

# Stripe's rules for a card charge's descriptor suffix (docs.stripe.com, "Statement
# descriptors"): Latin characters, at most 22, at least one letter, none of < > \ ' " *.
# Ours must also not say what the charge was for: a card statement is read by whoever
# shares the account, so no "therapy" (nor "therapist").
_DESCRIPTOR = re.compile(r"[ -~]{1,22}")
_FORBIDDEN = set("<>\\'\"*")


def statement_descriptor(value: str) -> str:
    text = value.strip().upper()
    if (
        not _DESCRIPTOR.fullmatch(text)
        or not re.search(r"[A-Z]", text)
        or _FORBIDDEN & set(text)
        or "THERAP" in text
    ):
        raise ImproperlyConfigured(
            f"STRIPE_STATEMENT_DESCRIPTOR must be 1 to 22 Latin characters with a letter, none "
            f"of < > \\ ' \" *, and neutral (no 'therapy'), got {value!r} "
            "(see docs/configuration.md)"
        )
    return text
