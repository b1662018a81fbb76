"""The pages of card payments: the client's Pay, the return from Stripe's page, and the
admin's refund of a card payment.

Pay is a form posted to us; our answer links to Stripe's hosted page rather than
redirecting there, because the CSP's `form-action 'self'` (which browsers apply to a form's
redirects too) stays as it is."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.billing import balances, stripe_checkout, stripe_refunds
from alliance.billing.errors import BillingError
from alliance.billing.forms import MoneyField
from alliance.billing.models import Invoice, Payment
from alliance.privacy.access import access


def _own_invoice(request: HttpRequest, pk: int) -> Invoice:
    invoice = get_object_or_404(Invoice, pk=pk)
    if invoice.client_id != request.user.pk:
        raise Http404("not this client's invoice")
    return invoice


@access("client", scope="self")
@require_POST
def checkout_start(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    invoice = _own_invoice(request, pk)
    try:
        attempt = stripe_checkout.start_checkout(invoice=invoice, by=user)
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:client")
    return render(
        request, "billing/checkout_continue.html", {"invoice": invoice, "attempt": attempt}
    )


@access("client", scope="self")
def checkout_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Back from Stripe: paid once the webhook has recorded it, never on this visit alone."""
    invoice = _own_invoice(request, pk)
    paid = balances.balance_of(invoice) <= 0
    card = invoice.payments.filter(method=Payment.Method.CARD, status="succeeded").exists()
    template = "billing/checkout_status.html" if request.htmx else "billing/checkout_return.html"  # type: ignore[attr-defined]
    return render(
        request, template, {"invoice": invoice, "paid": paid, "card": card, "poll": not paid}
    )


@access("client", scope="self")
def checkout_cancelled(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _own_invoice(request, pk)
    messages.info(
        request,
        _("Payment of %(number)s not made; nothing was charged.")
        % {"number": invoice.display_number},
    )
    return redirect("billing:client")


class RefundForm(forms.Form):
    amount = MoneyField(label=gettext_lazy("Amount to refund"), minimum=1)
    reason = forms.CharField(
        label=gettext_lazy("Reason (not clinical)"), max_length=200, required=False
    )


@access("admin", scope="practice")
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("invoice"), pk=pk)
    user = request.user
    assert isinstance(user, User)
    form = RefundForm(request.POST or None)
    form.fields["amount"].currency = payment.currency  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            stripe_refunds.refund_card_payment(
                payment=payment,
                amount_minor=form.cleaned_data["amount"],
                by=user,
                reason=form.cleaned_data["reason"],
            )
        except BillingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Refund made through Stripe."))
            return redirect("billing:invoice", pk=payment.invoice_id)
    left = stripe_refunds.refundable(payment)
    return render(
        request,
        "billing/checkout_refund.html",
        {"payment": payment, "form": form, "left": left},
        status=400 if form.errors else 200,
    )
