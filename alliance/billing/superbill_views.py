"""The pages of superbills: the client's requests and PDFs, the therapist's diagnosis entry
and identifiers, the practice's identifiers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.billing import diagnoses, superbill, superbill_identifiers
from alliance.billing.errors import BillingError
from alliance.billing.forms import PeriodForm
from alliance.billing.superbill_models import ProviderIdentifiers, Superbill
from alliance.care.queries import partnership_for
from alliance.core.pdf import pdf_response
from alliance.privacy.access import access


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _list(request: HttpRequest, form: PeriodForm | None = None) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "billing/superbills.html",
        {
            "superbills": Superbill.objects.filter(client=_user(request))[:20],
            "form": form
            or PeriodForm(initial={"start": today.replace(month=1, day=1), "end": today}),
        },
        status=400 if form is not None else 200,
    )


@access("client", scope="self")
def superbills(request: HttpRequest) -> HttpResponse:
    return _list(request)


@access("client", scope="self")
@require_POST
def request_superbill(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.POST)
    if not form.is_valid():
        return _list(request, form)
    try:
        superbill.request_superbill(
            client=_user(request), start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        )
    except BillingError as exc:
        form.add_error(None, str(exc))
        return _list(request, form)
    messages.success(request, _("Your superbill is ready below."))
    return redirect("billing:superbills")


def _pdf(request: HttpRequest, found: Superbill) -> HttpResponse:
    data = superbill.superbill_pdf(superbill=found, reader=_user(request))
    return pdf_response(data, f"superbill-{found.period_start}-{found.period_end}.pdf")


@access("client", scope="self")
def superbill_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Superbill, pk=pk)
    if found.client_id != request.user.pk:
        raise Http404("not this client's superbill")
    return _pdf(request, found)


@access("admin", scope="practice")
def admin_superbill_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin opens a superbill a client asked for (recorded in the audit log)."""
    return _pdf(request, get_object_or_404(Superbill, pk=pk))


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("ICD-10-CM code"),
        max_length=10,
        help_text=gettext_lazy("For example F41.1. It is printed on superbills only."),
    )
    diagnosed_on = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )


@access("therapist", scope="own_partnerships")
def diagnosis(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = partnership_for(user, pk)
    if partnership.therapist_id != user.pk:
        raise Http404("not this therapist's client")
    form = DiagnosisForm(request.POST or None, initial={"diagnosed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            diagnoses.enter_diagnosis(
                partnership=partnership,
                code=form.cleaned_data["code"],
                by=user,
                diagnosed_on=form.cleaned_data["diagnosed_on"],
            )
        except BillingError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, _("Diagnosis saved."))
            return redirect("billing:diagnosis", pk=partnership.pk)
    return render(
        request,
        "billing/superbill_diagnosis.html",
        {
            "partnership": partnership,
            "form": form,
            "entered": partnership.billing_diagnoses.order_by("-diagnosed_on", "-id")[:10],
            "codes": sorted(diagnoses.codes().items()),
        },
        status=400 if form.errors else 200,
    )


class IdentifiersForm(forms.Form):
    npi = forms.CharField(label="NPI", max_length=14, required=False)
    tax_id = forms.CharField(label=gettext_lazy("Tax id (EIN)"), max_length=12, required=False)


def _identifiers(request: HttpRequest, therapist: User | None) -> HttpResponse:
    row = ProviderIdentifiers.objects.filter(therapist=therapist).first()
    initial = {"npi": row.npi, "tax_id": row.tax_id} if row else {}
    form = IdentifiersForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            superbill_identifiers.set_identifiers(
                therapist=therapist,
                npi=form.cleaned_data["npi"],
                tax_id=form.cleaned_data["tax_id"],
            )
        except BillingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Identifiers saved."))
            return redirect(request.path)
    return render(
        request,
        "billing/superbill_identifiers.html",
        {"form": form, "practice": therapist is None},
        status=400 if form.errors else 200,
    )


@access("therapist", scope="self")
def therapist_identifiers(request: HttpRequest) -> HttpResponse:
    return _identifiers(request, _user(request))


@access("admin", scope="practice")
def practice_identifiers(request: HttpRequest) -> HttpResponse:
    return _identifiers(request, None)
