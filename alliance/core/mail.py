"""One way to e-mail a person: in their own language, with absolute links.

Subjects are given untranslated (mark them with `gettext_noop`) and translated here, with the
body rendered, inside the recipient's language, so an e-mail never comes out in the language
of whoever's request sent it. A message whose words depend on counts or state is worded by a
`compose` function instead (`send_composed`), which is likewise called inside the recipient's
language; every message goes out through `_deliver`. Links are absolute (`SITE_URL`): a mail
client has no page to be relative to. Clinical content never goes in an e-mail; a link to
the page does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    headers: dict[str, str] | None = None,
    footer: str = "",
) -> None:
    """E-mail `recipient` (a User) the rendered `template`, in their language. `headers` and
    `footer` (an unsubscribe link, alliance/notify/unsubscribe.py) are added as given."""
    with translation.override(language_of(recipient)):
        body = render_to_string(template, {"recipient": recipient, **(context or {})})
        _deliver(recipient, translation.gettext(subject), body + footer, attachments, headers)


def send_composed(
    recipient: Any,
    compose: Callable[[], tuple[str, str]],
    *,
    headers: dict[str, str] | None = None,
    footer: str = "",
) -> None:
    """E-mail `recipient` the (subject, body) that `compose` words in their language."""
    with translation.override(language_of(recipient)):
        subject, body = compose()
    _deliver(recipient, str(subject), str(body) + footer, (), headers)


def _deliver(
    recipient: Any,
    subject: str,
    body: str,
    attachments: Iterable[tuple[str, bytes | str, str]],
    headers: dict[str, str] | None = None,
) -> None:
    message = EmailMessage(subject, body, None, [recipient.email], headers=headers)
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()
