"""Paying an invoice by card on Stripe's hosted Checkout page.

The client presses Pay: `start_checkout` creates a Checkout Session for what the invoice
still owes and the client's browser goes to Stripe's page, so no card number and no script
of Stripe's ever reaches our pages (the CSP stays 'self'). The payment is recorded from the
signed webhook only (webhooks.py), never from the browser coming back: anyone can open the
success address.

Every create carries an idempotency key made of the invoice and the attempt's number: a
retried or double-clicked create answers the session already made, and a session still open
for the same amount is offered again instead of a new one.
"""

from __future__ import annotations

import datetime as dt

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import balances, stripe_client
from alliance.billing.errors import BillingError
from alliance.billing.models import Invoice
from alliance.billing.stripe_models import CheckoutAttempt

# Stripe expires a Checkout Session after 24 hours; one younger than this is offered again.
REUSE_FOR = dt.timedelta(hours=23)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _params(invoice: Invoice, amount: int, attempt: int) -> dict[str, object]:
    ids = {"invoice_id": str(invoice.pk), "attempt": str(attempt)}
    with translation.override(invoice.language):
        # Neutral words only: the line is shown on Stripe's page and in its receipt e-mail.
        name = _("Invoice %(number)s") % {"number": invoice.display_number}
    back = reverse("billing:checkout_return", args=[invoice.pk])
    return {
        "mode": "payment",
        "payment_method_types": ["card"],
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "unit_amount": amount,
                    "product_data": {"name": name},
                },
            }
        ],
        "client_reference_id": str(invoice.pk),
        "metadata": ids,
        "payment_intent_data": {
            "metadata": ids,
            "statement_descriptor_suffix": settings.STRIPE_STATEMENT_DESCRIPTOR,
        },
        "locale": invoice.language if invoice.language in {"en", "es"} else "auto",
        "success_url": _absolute(back) + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": _absolute(reverse("billing:checkout_cancelled", args=[invoice.pk])),
    }


def idempotency_key(invoice: Invoice, attempt: int) -> str:
    return f"alliance-checkout-{invoice.pk}-{attempt}"


@transaction.atomic
def start_checkout(*, invoice: Invoice, by: User) -> CheckoutAttempt:
    """A Checkout Session for what `invoice` still owes, for its own client to pay."""
    if not stripe_client.enabled():
        raise BillingError(_("Card payments are not set up; the practice records payments."))
    if by.pk != invoice.client_id:
        raise BillingError(_("Only the client an invoice is for pays it here."))
    # The invoice's row is the lock: two presses of Pay are decided one after the other.
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.is_credit_note:
        raise BillingError(_("A credit note is not paid; it reduces what an invoice owes."))
    owed = balances.balance_of(locked)
    if owed <= 0:
        raise BillingError(_("This invoice is already paid."))
    latest = CheckoutAttempt.objects.filter(invoice=locked).order_by("-attempt").first()
    if latest and latest.amount_minor == owed and timezone.now() - latest.created_at < REUSE_FOR:
        return latest
    number = latest.attempt + 1 if latest else 1
    try:
        session = stripe_client.client().v1.checkout.sessions.create(
            _params(locked, owed, number),  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key(locked, number)},
        )
    except stripe.StripeError:
        raise BillingError(
            _("The card payment page could not be opened just now; try again in a minute.")
        ) from None
    return CheckoutAttempt.objects.create(
        invoice=locked,
        attempt=number,
        session_id=session.id,
        url=session.url or "",
        amount_minor=owed,
        currency=locked.currency,
    )
