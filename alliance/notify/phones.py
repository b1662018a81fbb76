"""Phone numbers: E.164 only, found again by a keyed digest (the number itself is encrypted)."""

from __future__ import annotations

import re

from django.utils.crypto import salted_hmac

E164 = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[\s().-]")


def normalise(text: object) -> str | None:
    """'+1 (555) 010-9999' → '+15550109999'; None unless it is an E.164 number."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    number = _SEPARATORS.sub("", text.strip())
    return number if E164.fullmatch(number) else None


def digest_of(number: str) -> str:
    return salted_hmac("alliance.notify.phone", number, algorithm="sha256").hexdigest()
