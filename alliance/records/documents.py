"""The practice's documents: writing them, publishing versions, and what a client must sign.

A version is published whole and never edited (models.DocumentVersion); publishing a new one
makes every earlier signature of the document out of date, so a document required before
booking asks each client to sign again. A release of information is never "required": a
client signs one when they want their record sent somewhere.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.records.errors import RecordsError
from alliance.records.models import Document, DocumentVersion, Signature

BODY_MAX_CHARS = 50_000
TITLE_MAX_CHARS = 200


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if not title:
        raise RecordsError(_("Give the document a title."))
    if len(title) > TITLE_MAX_CHARS:
        raise RecordsError(_("A title can be at most %(n)d characters.") % {"n": TITLE_MAX_CHARS})
    if not body:
        raise RecordsError(_("A document cannot be empty."))
    if len(body) > BODY_MAX_CHARS:
        raise RecordsError(
            _("A document can be at most %(n)d characters; this one has %(m)d.")
            % {"n": BODY_MAX_CHARS, "m": len(body)}
        )
    return title, body


def _admin(by: User) -> None:
    if by.role != User.Role.ADMIN:
        raise RecordsError(_("Only a practice administrator writes the practice's documents."))


@transaction.atomic
def create_document(
    *, kind: str, title: str, body: str, required_before_booking: bool, by: User
) -> Document:
    _admin(by)
    if kind not in Document.Kind.values:
        raise RecordsError(_("Choose what kind of document this is."))
    if kind == Document.Kind.RELEASE and required_before_booking:
        raise RecordsError(
            _("A release of information is signed when the client wants it, never required.")
        )
    title, body = _check(title, body)
    document = Document.objects.create(
        kind=kind, title=title, required_before_booking=required_before_booking
    )
    DocumentVersion.objects.create(
        document=document, number=1, body=body, body_sha256=sha256(body), published_by=by
    )
    return document


@transaction.atomic
def publish_version(*, document: Document, body: str, by: User) -> DocumentVersion:
    """A new text of `document`; every client is asked to sign it again."""
    _admin(by)
    locked = Document.objects.select_for_update().get(pk=document.pk)
    _title, body = _check(locked.title, body)
    current = current_version(locked)
    if current is not None and current.body == body:
        raise RecordsError(_("This is the text already published; change it first."))
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return DocumentVersion.objects.create(
        document=locked, number=number, body=body, body_sha256=sha256(body), published_by=by
    )


@transaction.atomic
def set_required(*, document: Document, required: bool, active: bool, by: User) -> Document:
    _admin(by)
    if document.is_release and required:
        raise RecordsError(
            _("A release of information is signed when the client wants it, never required.")
        )
    Document.objects.filter(pk=document.pk).update(required_before_booking=required, active=active)
    document.refresh_from_db()
    return document


def current_version(document: Document) -> DocumentVersion | None:
    return document.versions.order_by("-number").first()


def current_versions(documents: list[Document]) -> dict[int, DocumentVersion]:
    latest: dict[int, DocumentVersion] = {}
    for version in DocumentVersion.objects.filter(document__in=documents).order_by("number"):
        latest[version.document_id] = version
    return latest


def signed_version_ids(client: User) -> set[int]:
    return set(
        Signature.objects.filter(client=client, revoked_at__isnull=True).values_list(
            "version_id", flat=True
        )
    )


def to_sign(client: User) -> list[DocumentVersion]:
    """The current versions of the active, required documents `client` has not signed."""
    documents = list(Document.objects.filter(active=True, required_before_booking=True))
    signed = signed_version_ids(client)
    return [version for version in current_versions(documents).values() if version.pk not in signed]


def offered(client: User) -> list[tuple[DocumentVersion, bool]]:
    """Every active document's current version, and whether `client` has signed it."""
    documents = list(Document.objects.filter(active=True))
    signed = signed_version_ids(client)
    latest = current_versions(documents)
    return [(latest[d.pk], latest[d.pk].pk in signed) for d in documents if d.pk in latest]
