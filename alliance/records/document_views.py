"""The pages of documents: the client's (sign, download the signed copy, revoke a release)
and the practice admin's (write documents, publish versions, choose what is required)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.core.pdf import pdf_response
from alliance.privacy import audit
from alliance.privacy.access import access
from alliance.records import documents, signing
from alliance.records.errors import RecordsError
from alliance.records.forms import DocumentForm, ReleaseForm, SettingsForm, SignForm, VersionForm
from alliance.records.models import Document, DocumentVersion, Signature


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- the client -----------------------------------------------------------------------------


@access("client", scope="self", before_onboarding=True)
def my_documents(request: HttpRequest) -> HttpResponse:
    client = _user(request)
    return render(
        request,
        "records/my_documents.html",
        {
            "to_sign": documents.to_sign(client),
            "offered": documents.offered(client),
            "signed": Signature.objects.filter(client=client)
            .select_related("version__document")
            .order_by("-signed_at", "-id"),
            "next": request.GET.get("next", ""),
        },
    )


def _sign_page(
    request: HttpRequest, version: DocumentVersion, form: SignForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "records/sign.html",
        {
            "version": version,
            "form": form,
            "statement": signing.statement(),
            "electronic_consent": signing.electronic_consent(),
            "paragraphs": [p for p in version.body.split("\n\n") if p.strip()],
        },
        status=status,
    )


@access("client", scope="self", before_onboarding=True)
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    client = _user(request)
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document"), pk=pk, document__active=True
    )
    form_class = ReleaseForm if version.document.is_release else SignForm
    if request.method != "POST":
        shown = documents.sha256(signing.shown_text(version))
        return _sign_page(request, version, form_class(initial={"shown": shown}))
    form = form_class(request.POST)
    if not form.is_valid():
        return _sign_page(request, version, form, status=400)
    data = form.cleaned_data
    release = (
        signing.Release(data["recipient"], data["purpose"], data["expires_on"])
        if version.document.is_release
        else None
    )
    try:
        signing.sign(
            client=client,
            version=version,
            typed_name=data["typed_name"],
            agreed=data["agreed"],
            electronic=data["electronic"],
            shown_sha256=data["shown"],
            release=release,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except RecordsError as exc:
        form.add_error(None, str(exc))
        return _sign_page(request, version, form, status=400)
    messages.success(request, _("Signed. Your signed copy is below, ready to download."))
    return redirect("records:my_documents")


@access("client", "admin", scope="self")
def signed_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed PDF, for the client who signed (or, recorded in the audit log, an admin)."""
    user = _user(request)
    signature = get_object_or_404(Signature.objects.select_related("version__document"), pk=pk)
    if user.role == User.Role.ADMIN:
        audit.record_opening(
            user, signature, refresh=audit.is_refresh(request), reason="records: signed document"
        )
    elif signature.client_id != user.pk:
        raise Http404("not this client's signature")
    name = f"signed-{signature.version.document.kind}-v{signature.version.number}.pdf"
    return pdf_response(signing.signed_copy(signature), name, attachment=True)


@access("client", scope="self", before_onboarding=True)
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    signature = get_object_or_404(Signature, pk=pk, client=_user(request))
    try:
        signing.revoke(signature=signature, by=_user(request))
    except RecordsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Revoked: the practice will send nothing more under it."))
    return redirect("records:my_documents")


# --- the practice ---------------------------------------------------------------------------


def _practice_page(request: HttpRequest, form: DocumentForm, status: int = 200) -> HttpResponse:
    rows = Document.objects.annotate(
        signatures=Count("versions__signatures", filter=Q(versions__signatures__revoked_at=None))
    ).order_by("title", "id")
    latest = documents.current_versions(list(rows))
    return render(
        request,
        "records/practice_documents.html",
        {"rows": [(d, latest.get(d.pk)) for d in rows], "form": form},
        status=status,
    )


@access("admin", scope="practice")
def practice_documents(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _practice_page(request, DocumentForm())
    form = DocumentForm(request.POST)
    if form.is_valid():
        try:
            document = documents.create_document(by=_user(request), **form.cleaned_data)
        except RecordsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Document published as version 1."))
            return redirect("records:practice_document", pk=document.pk)
    return _practice_page(request, form, status=400)


def _document_page(
    request: HttpRequest,
    document: Document,
    version_form: VersionForm | None = None,
    settings_form: SettingsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    versions = document.versions.annotate(
        signed=Count("signatures", filter=Q(signatures__revoked_at=None))
    ).order_by("-number")
    current = versions.first()
    return render(
        request,
        "records/practice_document.html",
        {
            "document": document,
            "versions": versions,
            "version_form": version_form
            or VersionForm(initial={"body": current.body if current else ""}),
            "settings_form": settings_form
            or SettingsForm(
                initial={
                    "required_before_booking": document.required_before_booking,
                    "active": document.active,
                }
            ),
        },
        status=status,
    )


@access("admin", scope="practice")
def practice_document(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk)
    if request.method != "POST":
        return _document_page(request, document)
    if "publish" in request.POST:
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                version = documents.publish_version(
                    document=document, body=form.cleaned_data["body"], by=_user(request)
                )
            except RecordsError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Version %(n)d published; clients are asked to sign it.")
                    % {"n": version.number},
                )
                return redirect("records:practice_document", pk=document.pk)
        return _document_page(request, document, version_form=form, status=400)
    settings_form = SettingsForm(request.POST)
    if settings_form.is_valid():
        try:
            documents.set_required(
                document=document, by=_user(request), **settings_form.cleaned_data
            )
        except RecordsError as exc:
            settings_form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("records:practice_document", pk=document.pk)
    return _document_page(request, document, settings_form=settings_form, status=400)
