"""Payments recorded against an invoice: by hand (cash, bank transfer, other) from the
admin page, or by the card webhook (`provider_ref` set).

`record_payment` locks the invoice's row, so two payments of one invoice are decided one
after the other: the second sees the first and is refused as an overpayment, or, when it
carries the same `provider_ref` (a webhook delivered twice), is answered with the first.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import balances, notices
from alliance.billing.display import format_money
from alliance.billing.errors import BillingError
from alliance.billing.models import Invoice, Payment


def _check_amount(amount_minor: object) -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise BillingError(_("Give the amount as a number."))
    if amount_minor <= 0:
        raise BillingError(_("A payment must be more than zero."))
    return amount_minor


@transaction.atomic
def record_payment(
    *,
    invoice: Invoice,
    amount_minor: int,
    currency: str,
    method: str,
    by: User | None = None,
    provider_ref: str = "",
    idempotency_key: str = "",
    reference: str = "",
    received_at: dt.datetime | None = None,
) -> Payment:
    """Record a received payment of `invoice`. Refuses zero or negative amounts, another
    currency, a credit note, a paid invoice and more than is owed; a `provider_ref` or
    `idempotency_key` already recorded returns that payment and records nothing."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    for field, value in (("provider_ref", provider_ref), ("idempotency_key", idempotency_key)):
        if value:
            earlier = Payment.objects.filter(**{field: value}).first()
            if earlier is not None:
                if earlier.invoice_id != locked.pk:
                    raise BillingError(_("This payment was recorded for another invoice."))
                return earlier
    amount = _check_amount(amount_minor)
    if method not in Payment.Method.values:
        raise BillingError(_("Choose how it was paid: card, cash, bank transfer or other."))
    if locked.is_credit_note:
        raise BillingError(_("A credit note is not paid; it reduces what an invoice owes."))
    if currency != locked.currency:
        raise BillingError(
            _("This invoice is in %(currency)s; record the payment in %(currency)s.")
            % {"currency": locked.currency}
        )
    owed = balances.balance_of(locked)
    if owed <= 0:
        raise BillingError(_("This invoice is already paid."))
    if amount > owed:
        raise BillingError(
            _("That is more than the %(owed)s still owed on this invoice.")
            % {"owed": format_money(owed, locked.currency)}
        )
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + dt.timedelta(minutes=5):
        raise BillingError(_("A payment cannot be received in the future."))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                invoice=locked,
                method=method,
                amount_minor=amount,
                currency=currency,
                status=Payment.Status.SUCCEEDED,
                provider_ref=provider_ref,
                idempotency_key=idempotency_key,
                reference=reference[:120],
                received_at=received_at,
                recorded_by=by,
            )
    except IntegrityError:
        # The same provider reference recorded for another invoice at this moment.
        raise BillingError(_("This payment was recorded for another invoice.")) from None
    notices.payment_received(payment)
    return payment
