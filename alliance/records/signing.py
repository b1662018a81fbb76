"""A client signs a document version: intent, consent to electronic records, and the copy.

What the client is shown (the title, the version, the text, the statement they agree to and,
for a release, who receives what until when) is one text; its SHA-256 is put in the signing
form and checked when the form comes back, so the signature is bound to exactly what was on
the screen. A version that is no longer current cannot be signed: the client reads the new
one. The name typed must be the account holder's: a client signs only for themself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core.pdf import render
from alliance.records.documents import current_version, sha256
from alliance.records.errors import RecordsError
from alliance.records.models import DocumentVersion, Signature

RELEASE_LONGEST = dt.timedelta(days=366)


def statement() -> str:
    return _(
        "I have read this document, I agree to it, and I sign it electronically by typing my name."
    )


def electronic_consent() -> str:
    return _(
        "I agree to sign and keep this document electronically. I can ask the practice for a "
        "paper copy at any time, and withdraw this agreement for future documents."
    )


@dataclass(frozen=True)
class Release:
    recipient: str = ""
    purpose: str = ""
    expires_on: dt.date | None = None


def shown_text(version: DocumentVersion, release: Release | None = None) -> str:
    parts = [
        version.document.title,
        _("Version %(n)d") % {"n": version.number},
        version.body,
    ]
    if release is not None:
        parts += [
            _("Recipient: %(r)s") % {"r": release.recipient},
            _("Purpose: %(p)s") % {"p": release.purpose},
            _("Until: %(d)s") % {"d": release.expires_on.isoformat() if release.expires_on else ""},
        ]
    parts += [statement(), electronic_consent()]
    return "\n\n".join(parts)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def check_name(client: User, typed: str) -> str:
    """The typed name, if it holds every word of the account's name (a client signs only for
    themself); shared with the treatment plan's signature."""
    typed = " ".join(typed.split())
    if not typed:
        raise RecordsError(_("Type your full name to sign."))
    own = _words(client.display_name or "")
    if not own or not set(own) <= set(_words(typed)):
        raise RecordsError(
            _(
                "Type your own name as it is on your account (%(name)s): you can sign only "
                "for yourself."
            )
            % {"name": client.display_name or client.email}
        )
    return typed[:200]


def _check_release(version: DocumentVersion, release: Release | None) -> Release | None:
    if not version.document.is_release:
        return None
    if release is None or not release.recipient.strip():
        raise RecordsError(_("Name who may receive your record."))
    if not release.purpose.strip():
        raise RecordsError(_("Say what the record is for."))
    today = timezone.localdate()
    if release.expires_on is None or release.expires_on <= today:
        raise RecordsError(_("Choose when this release ends: a date after today."))
    if release.expires_on > today + RELEASE_LONGEST:
        raise RecordsError(_("A release can last at most a year; choose an earlier end."))
    return Release(
        release.recipient.strip()[:300], release.purpose.strip()[:500], release.expires_on
    )


@transaction.atomic
def sign(
    *,
    client: User,
    version: DocumentVersion,
    typed_name: str,
    agreed: bool,
    electronic: bool,
    shown_sha256: str,
    release: Release | None = None,
    user_agent: str = "",
) -> Signature:
    """Record the signature and its encrypted PDF copy; refused, changing nothing, when
    the version is out of date, the text shown differs, or intent is missing."""
    if client.role != User.Role.CLIENT:
        raise RecordsError(_("Only a client signs their own documents."))
    locked = DocumentVersion.objects.select_related("document").get(pk=version.pk)
    if not locked.document.active or current_version(locked.document) != locked:
        raise RecordsError(
            _("This document has a newer version. Read the new version and sign that one.")
        )
    name = check_name(client, typed_name)
    if not agreed:
        raise RecordsError(_("Tick the statement to show that you agree and sign."))
    if not electronic:
        raise RecordsError(
            _("Tick that you agree to sign electronically, or ask the practice for paper.")
        )
    checked = _check_release(locked, release)
    # The form carries the hash of the page as it was drawn; a release's own details are
    # typed on that page, so they join the text only in the stored hash.
    if not hmac.compare_digest(sha256(shown_text(locked)), shown_sha256 or ""):
        raise RecordsError(
            _("What you signed is not what is on record now. Read the document again and sign.")
        )
    shown = shown_text(locked, checked)
    now = timezone.now()
    signature = Signature(
        version=locked,
        client=client,
        typed_name=name,
        statement=statement(),
        electronic_records_consent=True,
        shown_sha256=sha256(shown),
        signed_at=now,
        user_agent=user_agent[:300],
        release=locked.document.is_release,
        recipient=checked.recipient if checked else "",
        purpose=checked.purpose if checked else "",
        expires_on=checked.expires_on if checked else None,
    )
    signature.signed_pdf = base64.b64encode(_copy(signature)).decode("ascii")
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        raise RecordsError(_("You have already signed this version.")) from None
    return signature


def _copy(signature: Signature) -> bytes:
    client = signature.client
    return render(
        "records/pdf/signed_document.html",
        {"signature": signature, "version": signature.version, "client": client},
        language=client.preferred_language or "en",
    )


def signed_copy(signature: Signature) -> bytes:
    return base64.b64decode(str(signature.signed_pdf))


@transaction.atomic
def revoke(*, signature: Signature, by: User) -> Signature:
    """A client revokes their release of information; the record of it stays."""
    locked = Signature.objects.select_for_update().get(pk=signature.pk)
    if by.pk != locked.client_id:
        raise RecordsError(_("Only the client who signed a release revokes it."))
    if not locked.release:
        raise RecordsError(_("Only a release of information is revoked here."))
    if locked.revoked_at is not None:
        raise RecordsError(_("This release is already revoked."))
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked


def releases_in_force(client: User, on: dt.date | None = None) -> list[Signature]:
    """The client's releases of information that are signed, not revoked and not expired."""
    day = on or timezone.localdate()
    return list(
        Signature.objects.filter(
            client=client, release=True, revoked_at__isnull=True, expires_on__gte=day
        ).select_related("version__document")
    )
