"""One way to e-mail a person: in their own language, with absolute links.

Subjects are given untranslated (mark them with `gettext_noop`) and translated here, with the
body rendered, inside the recipient's language, so an e-mail never comes out in the language
of whoever's request sent it. Links are absolute (`SITE_URL`): a mail client has no page to
be relative to. Clinical content never goes in an e-mail; a link to the page does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def link(name: str, *args: Any) -> str:
    """The absolute URL of the named route."""
    return absolute(reverse(name, args=args))


def language_of(recipient: Any) -> str:
    return getattr(recipient, "preferred_language", "") or settings.LANGUAGE_CODE


def send(
    recipient: Any,
    *,
    subject: str,
    template: str,
    context: dict[str, Any] | None = None,
    attachments: Iterable[tuple[str, bytes | str, str]] = (),
) -> None:
    """E-mail `recipient` (a User) the rendered `template`, in their language."""
    with translation.override(language_of(recipient)):
        body = render_to_string(template, {"recipient": recipient, **(context or {})})
        message = EmailMessage(translation.gettext(subject), body, None, [recipient.email])
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()
