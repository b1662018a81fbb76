from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from alliance.accounts import consent as consent_texts
from alliance.accounts import services as account_services
from alliance.accounts.models import ConsentRecord, User
from alliance.privacy import audit, chain, rights
from alliance.privacy.access import access
from alliance.privacy.models import AuditBlock, AuditEvent, ClientKey


def _with_actor_names(events: list[AuditEvent]) -> list[AuditEvent]:
    names = dict(
        User.objects.filter(pk__in={e.actor_id for e in events if e.actor_id}).values_list(
            "pk", "display_name"
        )
    )
    for event in events:
        event.actor_name = names.get(event.actor_id or 0, "")  # type: ignore[attr-defined]
    return events


@access("admin", scope="practice")
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-id")
    client = request.GET.get("client", "").strip()[:100]
    if client.isdecimal():
        events = events.filter(client_id=int(client))
    elif client:  # a client's name or e-mail address, as an admin knows them
        events = events.filter(
            client_id__in=User.objects.filter(
                Q(display_name__icontains=client) | Q(email__icontains=client),
                role=User.Role.CLIENT,
            ).values("pk")
        )
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    page.object_list = _with_actor_names(list(page.object_list))
    head = AuditBlock.objects.order_by("-seq").first()
    return render(
        request,
        "privacy/audit_log.html",
        {"page": page, "head": head, "client": client, "verdict": None},
    )


@access("admin", scope="practice")
@require_POST
def verify_audit_log(request: HttpRequest) -> HttpResponse:
    anchor = None
    exported = (request.POST.get("head") or "").strip()
    if exported:
        try:
            anchor = chain.Head.parse(exported)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("privacy:audit_log")
    verdict = chain.verify(anchor)
    if verdict.ok and anchor is not None:
        messages.success(
            request,
            _(
                "The audit log is intact and still holds the exported head (block %(seq)d): "
                "%(blocks)d blocks, %(events)d sealed rows."
            )
            % {"seq": anchor.seq, "blocks": verdict.blocks, "events": verdict.events},
        )
    elif verdict.ok:
        messages.success(
            request,
            _("The audit log is intact: %(blocks)d blocks, %(events)d sealed rows.")
            % {"blocks": verdict.blocks, "events": verdict.events},
        )
    else:
        messages.error(
            request, _("The audit log has been tampered with: ") + "; ".join(verdict.problems[:5])
        )
    return redirect("privacy:audit_log")


@access("client", scope="self")
def my_record_access(request: HttpRequest) -> HttpResponse:
    """Who opened my record and when (GDPR art. 15; HIPAA accounting of disclosures)."""
    events = list(AuditEvent.objects.filter(client_id=request.user.pk).order_by("-id")[:200])
    return render(request, "privacy/my_record_access.html", {"events": _with_actor_names(events)})


class ErasureForm(forms.Form):
    confirm_email = forms.EmailField(label=gettext_lazy("Type your e-mail address to confirm"))
    password = forms.CharField(
        label=gettext_lazy("Your password"), widget=forms.PasswordInput, max_length=256
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("confirm_email", "").lower() != self.user.email.lower():
            self.add_error("confirm_email", _("That is not the e-mail address of this account."))
        if data.get("password") and not self.user.check_password(data["password"]):
            self.add_error("password", _("That password is not right."))
        return data


@access("client", scope="self", before_onboarding=True)
def privacy_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    consents = ConsentRecord.objects.filter(user=user).order_by("-given_at")
    return render(
        request,
        "privacy/settings.html",
        {"consents": consents, "erasure_form": ErasureForm(user=user)},
    )


@access("client", scope="self", before_onboarding=True)
@require_POST
def withdraw_consent(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in consent_texts.TEXTS:
        messages.error(request, _("Unknown consent."))
        return redirect("privacy:settings")
    account_services.withdraw_consent(user=request.user, kind=kind)  # type: ignore[arg-type]
    messages.info(
        request,
        _(
            "Your consent is withdrawn. Sessions, messages and check-ins are paused "
            "until you consent again."
        ),
    )
    return redirect("privacy:settings")


@access("client", scope="self", before_onboarding=True)
def export_json(request: HttpRequest) -> HttpResponse:
    data = rights.export_json(user=request.user)  # type: ignore[arg-type]
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="alliance-export.json"'
    return response


@access("client", scope="self", before_onboarding=True)
def export_fhir(request: HttpRequest) -> HttpResponse:
    bundle = rights.export_fhir_bundle(user=request.user)  # type: ignore[arg-type]
    response = JsonResponse(bundle, content_type="application/fhir+json")
    response["Content-Disposition"] = 'attachment; filename="alliance-export.fhir.json"'
    return response


@access("client", scope="self", before_onboarding=True)
@require_POST
def erase(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ErasureForm(request.POST, user=user)
    if not form.is_valid():
        consents = ConsentRecord.objects.filter(user=user).order_by("-given_at")
        return render(
            request,
            "privacy/settings.html",
            {"consents": consents, "erasure_form": form},
            status=400,
        )
    rights.erase_client(user=user, actor=user)
    logout(request)
    return render(request, "privacy/erased.html")


class BreakGlassForm(forms.Form):
    client = forms.CharField(
        label=gettext_lazy("Client (e-mail address or client id)"), max_length=254
    )
    reason = forms.CharField(
        label=gettext_lazy("Why do you need to open this record?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=15,
        max_length=500,
        help_text=gettext_lazy(
            "Recorded in the audit log and shown to the client. For example: the client's "
            "therapist is unreachable and the client reported a safety concern by phone."
        ),
    )

    def clean_client(self) -> User:
        value = self.cleaned_data["client"].strip()
        query = User.objects.filter(role=User.Role.CLIENT)
        if value.isdecimal():
            # An id past the database's integer range matches no one (and is no query).
            found = query.filter(pk=int(value)).first() if int(value) < 2**63 else None
        else:
            found = query.filter(email__iexact=value).first()
        if found is None:
            raise forms.ValidationError(_("No client matches that e-mail address or id."))
        if _erased(found):
            # Their clinical text is unreadable, and a reason about them could not be sealed.
            raise forms.ValidationError(
                _("This client's record was erased: there is nothing left to open.")
            )
        return found


def _erased(client: User) -> bool:
    """Erased: the log holds their erasure, or their data key is destroyed."""
    return (
        AuditEvent.objects.filter(action=audit.Action.ERASE, client_id=client.pk).exists()
        or ClientKey.objects.filter(owner=client, destroyed_at__isnull=False).exists()
    )


@access("admin", scope="practice")
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access to a client's clinical record, with a reason, always audited."""
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client: User = form.cleaned_data["client"]
        # The reason is sealed with the client's key, like other clinical text about them.
        audit.record(
            request.user,
            audit.Action.BREAK_GLASS,
            client,
            reason=form.cleaned_data["reason"],
            seal_reason=True,
        )
        record = rights.clinical_record(user=client)
        return render(
            request, "privacy/break_glass_record.html", {"client": client, "record": record}
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/break_glass.html", {"form": form}, status=status)
