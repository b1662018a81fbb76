"""The practice admin's billing pages: fees and policy, the sliding scale, outstanding
balances by age, invoices with their payments and credit notes, and the accountant's CSV.

Every read of a client's billing by staff is audited (privacy/audit.py): an invoice opened,
a statement or document rendered, the balances list and the export.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.billing import balances, export, fees, invoicing, payments, queries, sliding_scale
from alliance.billing.client_views import invoice_document, statement_document
from alliance.billing.errors import BillingError
from alliance.billing.forms import (
    OverrideForm,
    PartnershipServiceForm,
    PaymentForm,
    PracticeForm,
    ReasonForm,
    ServiceForm,
    TierForm,
)
from alliance.billing.models import (
    Invoice,
    PartnershipService,
    ServiceType,
    SlidingScaleApplication,
    SlidingScaleTier,
    TherapistFee,
)
from alliance.privacy import audit
from alliance.privacy.access import access


def _admin(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _practice_page(request: HttpRequest, **forms: Any) -> HttpResponse:
    practice = fees.practice()
    fees.ensure_standard_services()
    currency = practice.currency
    ageing = queries.outstanding()
    audit.record_opening(
        _admin(request),
        practice,
        refresh=audit.is_refresh(request),
        reason="billing: outstanding balances",
    )
    return render(
        request,
        "billing/admin.html",
        {
            "practice": practice,
            "practice_form": forms.get("practice_form") or PracticeForm(instance=practice),
            "services": ServiceType.objects.all(),
            "service_form": forms.get("service_form") or ServiceForm(currency=currency),
            "overrides": TherapistFee.objects.select_related("therapist", "service").order_by(
                "therapist__display_name", "service__code"
            ),
            "override_form": forms.get("override_form") or OverrideForm(currency=currency),
            "partnership_services": PartnershipService.objects.select_related(
                "partnership__client", "partnership__therapist", "service"
            ),
            "partnership_form": forms.get("partnership_form") or PartnershipServiceForm(),
            "tiers": SlidingScaleTier.objects.all(),
            "tier_form": forms.get("tier_form") or TierForm(currency=currency),
            "applications": SlidingScaleApplication.objects.filter(
                status=SlidingScaleApplication.Status.PENDING
            ).select_related("client", "tier"),
            "ageing": ageing,
            "ageing_totals": queries.ageing_totals(ageing),
        },
        status=400 if forms else 200,
    )


@access("admin", scope="practice")
def practice_billing(request: HttpRequest) -> HttpResponse:
    return _practice_page(request)


@access("admin", scope="practice")
@require_POST
def save_practice(request: HttpRequest) -> HttpResponse:
    form = PracticeForm(request.POST, instance=fees.practice())
    if not form.is_valid():
        return _practice_page(request, practice_form=form)
    form.save()
    messages.success(request, _("Billing settings saved."))
    return redirect("billing:practice")


@access("admin", scope="practice")
@require_POST
def save_service(request: HttpRequest) -> HttpResponse:
    currency = fees.practice().currency
    existing = ServiceType.objects.filter(code=request.POST.get("code", "").strip().upper()).first()
    form = ServiceForm(request.POST, instance=existing, currency=currency)
    if not form.is_valid():
        return _practice_page(request, service_form=form)
    form.save()
    messages.success(request, _("Service saved."))
    return redirect("billing:practice")


@access("admin", scope="practice")
@require_POST
def save_override(request: HttpRequest) -> HttpResponse:
    form = OverrideForm(request.POST, currency=fees.practice().currency)
    if not form.is_valid():
        return _practice_page(request, override_form=form)
    fees.set_therapist_fee(
        therapist_id=form.cleaned_data["therapist"].pk,
        service=form.cleaned_data["service"],
        fee_minor=form.cleaned_data["fee"],
    )
    messages.success(request, _("Therapist's fee saved."))
    return redirect("billing:practice")


@access("admin", scope="practice")
@require_POST
def save_partnership_service(request: HttpRequest) -> HttpResponse:
    form = PartnershipServiceForm(request.POST)
    if not form.is_valid():
        return _practice_page(request, partnership_form=form)
    fees.set_partnership_service(
        partnership_id=form.cleaned_data["partnership"].pk, service=form.cleaned_data["service"]
    )
    messages.success(request, _("The partnership's service is saved."))
    return redirect("billing:practice")


@access("admin", scope="practice")
@require_POST
def save_tier(request: HttpRequest) -> HttpResponse:
    form = TierForm(request.POST, currency=fees.practice().currency)
    if not form.is_valid():
        return _practice_page(request, tier_form=form)
    form.save()
    messages.success(request, _("Sliding-scale tier added."))
    return redirect("billing:practice")


@access("admin", scope="practice")
@require_POST
def decide_application(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(SlidingScaleApplication, pk=pk)
    decision = request.POST.get("decision")
    if decision not in {"approve", "refuse"}:
        messages.error(request, _("Choose approve or refuse."))
        return redirect("billing:practice")
    try:
        sliding_scale.decide(
            application=application, approve=decision == "approve", by=_admin(request)
        )
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:practice")
    messages.success(request, _("Decision recorded."))
    return redirect("billing:practice")


@access("admin", scope="practice")
def invoice_list(request: HttpRequest) -> HttpResponse:
    found = request.GET.get("q", "").strip()[:100]
    invoices = Invoice.objects.select_related("client").order_by("-issued_at", "-id")
    if found:
        invoices = invoices.filter(
            Q(client__display_name__icontains=found)
            | Q(client__email__icontains=found)
            | Q(client_name__icontains=found)
        )
    shown = list(invoices[:100])
    owed = balances.balances(shown)
    audit.record_opening(
        _admin(request),
        fees.practice(),
        refresh=audit.is_refresh(request),
        reason="billing: invoice list",
    )
    return render(
        request,
        "billing/admin_invoices.html",
        {"rows": [queries.InvoiceRow(i, owed[i.pk]) for i in shown], "q": found},
    )


def _invoice_page(
    request: HttpRequest, invoice: Invoice, *, payment_form: PaymentForm | None = None
) -> HttpResponse:
    audit.record_opening(
        _admin(request), invoice, refresh=audit.is_refresh(request), reason="billing: invoice"
    )
    return render(
        request,
        "billing/admin_invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "payments": invoice.payments.order_by("received_at", "id"),
            "credit_notes": invoice.credit_notes.all(),
            "balance": balances.balance_of(invoice),
            "payment_form": payment_form or PaymentForm(currency=invoice.currency),
            "credit_form": ReasonForm(),
            "today": timezone.localdate(),
            "year_start": timezone.localdate().replace(month=1, day=1),
        },
        status=400 if payment_form is not None else 200,
    )


@access("admin", scope="practice")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("client", "credits"), pk=pk)
    return _invoice_page(request, invoice)


@access("admin", scope="practice")
@require_POST
def record_payment(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("client"), pk=pk)
    form = PaymentForm(request.POST, currency=invoice.currency)
    if not form.is_valid():
        return _invoice_page(request, invoice, payment_form=form)
    day = form.cleaned_data["received_on"]
    received_at = (
        timezone.now()
        if day == timezone.localdate()
        else timezone.make_aware(datetime.combine(day, time(12)))
    )
    try:
        payments.record_payment(
            invoice=invoice,
            amount_minor=form.cleaned_data["amount"],
            currency=form.cleaned_data["currency"],
            method=form.cleaned_data["method"],
            by=_admin(request),
            reference=form.cleaned_data["reference"],
            received_at=received_at,
        )
    except BillingError as exc:
        form.add_error(None, str(exc))
        return _invoice_page(request, invoice, payment_form=form)
    messages.success(request, _("Payment recorded."))
    return redirect("billing:invoice", pk=invoice.pk)


@access("admin", scope="practice")
@require_POST
def credit_note(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        note = invoicing.issue_credit_note(invoice=invoice, reason=reason, by=_admin(request))
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:invoice", pk=invoice.pk)
    messages.success(request, _("Credit note %(number)s issued.") % {"number": note.display_number})
    return redirect("billing:invoice", pk=invoice.pk)


@access("admin", scope="practice")
def admin_invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("credits"), pk=pk)
    receipt = request.GET.get("receipt") == "1"
    audit.record_opening(
        _admin(request),
        invoice,
        refresh=audit.is_refresh(request),
        reason="billing: receipt document" if receipt else "billing: invoice document",
    )
    return invoice_document(invoice, receipt=receipt)


@access("admin", scope="practice")
def admin_statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(User, pk=pk, role=User.Role.CLIENT)
    audit.record_opening(
        _admin(request), client, refresh=audit.is_refresh(request), reason="billing: statement"
    )
    return statement_document(request, client, "billing:invoices")


@access("admin", scope="practice")
def export_csv(request: HttpRequest) -> HttpResponse:
    return export.accountant_csv(request, _admin(request))
