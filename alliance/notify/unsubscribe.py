"""One-click unsubscribe from a notification e-mail (RFC 8058), without logging in.

The link carries a signed (user, kind) token; it does not expire, because an unsubscribe
link must keep working in an old e-mail, and it can only ever turn e-mail off for that kind.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from alliance.accounts.models import User
from alliance.core.mail import absolute
from alliance.notify import kinds

SALT = "alliance.notify.unsubscribe"


def _signer() -> signing.Signer:
    # No timestamp: the same person and kind give the same link in every e-mail.
    return signing.Signer(salt=SALT)


def token_for(user: User, kind: str) -> str:
    return _signer().sign_object({"u": user.pk, "k": kind}, compress=True)


def read_token(token: str) -> tuple[int, str] | None:
    try:
        data = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or data.get("k") not in kinds.KINDS:
        return None
    user_id = data.get("u")
    return (user_id, data["k"]) if isinstance(user_id, int) else None


def url_for(user: User, kind: str) -> str:
    return absolute(reverse("notify:unsubscribe", args=[token_for(user, kind)]))


def headers_for(user: User, kind: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{url_for(user, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
