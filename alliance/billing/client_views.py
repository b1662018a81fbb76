"""The client's billing page (what I owe, invoices, receipts, statements, the sliding
scale) and the PDF documents, which the practice's admin may open too (audited)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.billing import fees, pdf, queries, sliding_scale
from alliance.billing.errors import BillingError
from alliance.billing.forms import ApplicationForm, PeriodForm
from alliance.billing.models import Invoice, SlidingScaleApplication, SlidingScaleTier
from alliance.core.pdf import pdf_response
from alliance.privacy.access import access


def _page(request: HttpRequest, application_form: ApplicationForm | None = None) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    rows = queries.client_invoices(user)
    currency = fees.practice().currency
    today = timezone.localdate()
    return render(
        request,
        "billing/client.html",
        {
            "rows": rows,
            "owed": queries.owed_by_currency(rows),
            "payments": queries.client_payments(user),
            "period": PeriodForm(
                initial={"start": today.replace(day=1) - dt.timedelta(days=1), "end": today}
            ),
            "applications": SlidingScaleApplication.objects.filter(client=user).select_related(
                "tier"
            )[:5],
            "tiers": SlidingScaleTier.objects.filter(active=True).exists(),
            "application_form": application_form or ApplicationForm(currency=currency),
        },
    )


@access("client", scope="self")
def client_billing(request: HttpRequest) -> HttpResponse:
    return _page(request)


@access("client", scope="self")
@require_POST
def apply_sliding_scale(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = ApplicationForm(request.POST, currency=fees.practice().currency)
    if not form.is_valid():
        return _page(request, form)
    try:
        sliding_scale.apply(
            client=user,
            tier=form.cleaned_data["tier"],
            stated_income_minor=form.cleaned_data["income"],
        )
    except BillingError as exc:
        form.add_error(None, str(exc))
        return _page(request, form)
    messages.success(request, _("Applied. The practice will let you know its decision here."))
    return redirect("billing:client")


def _own_invoice(request: HttpRequest, pk: int) -> Invoice:
    invoice = get_object_or_404(Invoice.objects.select_related("credits"), pk=pk)
    if invoice.client_id != request.user.pk:
        raise Http404("not this client's invoice")
    return invoice


def invoice_document(invoice: Invoice, *, receipt: bool) -> HttpResponse:
    """The invoice's PDF, or its receipt once something has been paid."""
    if not receipt:
        return pdf_response(pdf.invoice_pdf(invoice), f"{invoice.display_number}.pdf")
    if invoice.is_credit_note or not invoice.payments.filter(status="succeeded").exists():
        raise Http404("nothing has been paid on this invoice")
    return pdf_response(pdf.receipt_pdf(invoice), f"receipt-{invoice.display_number}.pdf")


def statement_document(request: HttpRequest, client: User, back: str) -> HttpResponse:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return pdf_response(
        pdf.statement_pdf(client=client, start=start, end=end),
        f"statement-{start.isoformat()}-{end.isoformat()}.pdf",
    )


@access("client", scope="self")
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return invoice_document(_own_invoice(request, pk), receipt=False)


@access("client", scope="self")
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return invoice_document(_own_invoice(request, pk), receipt=True)


@access("client", scope="self")
def statement_pdf(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return statement_document(request, user, "billing:client")
