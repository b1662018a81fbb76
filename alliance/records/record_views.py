"""The record on request: the client's own copy, and a transfer under a signed release.

Each copy made is written to the audit log as an export, with who made it and why.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core.pdf import pdf_response
from alliance.privacy import audit
from alliance.privacy.access import access
from alliance.records import record_export
from alliance.records.models import Signature


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _answer(client: User, form: str, *, every_note: bool = False) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    if form != "fhir":
        data = record_export.record_pdf(client, every_note=every_note)
        return pdf_response(data, f"clinical-record-{stamp}.pdf", attachment=True)
    body = json.dumps(
        record_export.record_bundle(client, every_note=every_note), ensure_ascii=False
    )
    response = HttpResponse(body, content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="clinical-record-{stamp}.fhir.json"'
    return response


@access("client", scope="self")
def my_record(request: HttpRequest, form: str) -> HttpResponse:
    """The client's whole record (their right of access)."""
    client = _user(request)
    audit.record(client, audit.Action.EXPORT, client, reason=f"record on request ({form})")
    return _answer(client, form)


@access("admin", scope="practice")
def releases(request: HttpRequest) -> HttpResponse:
    """The releases of information in force, to send a record to whom the client named."""
    today = timezone.localdate()
    rows = (
        Signature.objects.filter(release=True, revoked_at__isnull=True, expires_on__gte=today)
        .select_related("client", "version__document")
        .order_by("expires_on", "id")
    )
    return render(request, "records/releases.html", {"rows": rows})


@access("admin", scope="practice")
def transfer(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """The record of the client who signed release `pk`, while it is in force."""
    release = get_object_or_404(Signature.objects.select_related("client"), pk=pk, release=True)
    if release.revoked_at is not None or (
        release.expires_on is not None and release.expires_on < timezone.localdate()
    ):
        messages.error(request, _("This release is revoked or has ended: nothing was sent."))
        return redirect("records:releases")
    audit.record(
        _user(request),
        audit.Action.EXPORT,
        release.client,
        reason=f"record transfer ({form}) under release {release.pk}",
    )
    return _answer(release.client, form, every_note=True)
