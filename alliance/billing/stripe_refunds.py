"""Refunds of card payments through Stripe, and refunds Stripe tells us about.

An admin refunds part or all of a card payment (`refund_card_payment`): the refund is created
through Stripe's API with an idempotency key of the payment and the refund's number, and
recorded from Stripe's answer; the `refund.created` / `refund.updated` / `charge.refunded`
webhooks that follow find it by its id and change nothing, or record one made on Stripe's
dashboard. A refund is never above what is left of the payment, and a payment recorded by
hand is given back by hand, not through Stripe.
"""

from __future__ import annotations

import logging

import stripe
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import stripe_client
from alliance.billing.display import format_money
from alliance.billing.errors import BillingError
from alliance.billing.models import Payment, Refund

log = logging.getLogger(__name__)


def refundable(payment: Payment) -> int:
    """What is left to give back of `payment` (pending refunds count as given)."""
    given = Refund.objects.filter(payment=payment).exclude(status=Refund.Status.FAILED)
    return payment.amount_minor - int(given.aggregate(total=Sum("amount_minor"))["total"] or 0)


def _check(payment: Payment, amount_minor: object) -> int:
    if payment.method != Payment.Method.CARD or not payment.provider_ref:
        raise BillingError(
            _("This payment was recorded by hand; give the money back by hand, not by card.")
        )
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise BillingError(_("Give the amount as a number."))
    if amount_minor <= 0:
        raise BillingError(_("A refund must be more than zero."))
    left = refundable(payment)
    if amount_minor > left:
        raise BillingError(
            _("That is more than the %(left)s left to refund of this payment.")
            % {"left": format_money(left, payment.currency)}
        )
    return amount_minor


@transaction.atomic
def refund_card_payment(
    *, payment: Payment, amount_minor: int, by: User, reason: str = ""
) -> Refund:
    """Give back `amount_minor` of a card payment through Stripe (admins only)."""
    if by.role != User.Role.ADMIN:
        raise BillingError(_("Only an administrator refunds a card payment."))
    if not stripe_client.enabled():
        raise BillingError(_("Card payments are not set up, so nothing can be refunded by card."))
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    amount = _check(locked, amount_minor)
    number = Refund.objects.filter(payment=locked).count() + 1
    key = f"alliance-refund-{locked.pk}-{number}"
    try:
        answer = stripe_client.client().v1.refunds.create(
            {
                "payment_intent": locked.provider_ref,
                "amount": amount,
                "metadata": {"payment_id": str(locked.pk)},
            },
            options={"idempotency_key": key},
        )
    except stripe.StripeError as error:
        log.warning("refund of payment %s refused by Stripe: %s", locked.pk, error)
        raise BillingError(
            _("Stripe did not make the refund: %(reason)s")
            % {"reason": error.user_message or _("try again in a minute.")}
        ) from None
    # The refund's webhook may have arrived while we waited for the answer.
    refund, _created = Refund.objects.get_or_create(
        provider_ref=answer.id,
        defaults={
            "payment": locked,
            "amount_minor": amount,
            "currency": locked.currency,
            "status": _status(answer.status),
            "idempotency_key": key,
            "reason": reason[:200],
            "recorded_by": by,
        },
    )
    log.info("admin %s refunded %s of payment %s (%s)", by.pk, amount, locked.pk, answer.id)
    return refund


def _status(stripe_status: str | None) -> str:
    if stripe_status == "succeeded":
        return Refund.Status.SUCCEEDED
    if stripe_status in {"failed", "canceled"}:
        return Refund.Status.FAILED
    return Refund.Status.PENDING


class PaymentNotYetRecorded(Exception):
    """A refund event arrived before the payment it refunds (events out of order)."""


@transaction.atomic
def record_provider_refund(
    *, refund_id: str, payment_intent: str, amount_minor: int, status: str | None
) -> str:
    """Record (or bring up to date) a refund Stripe reports; the outcome in words."""
    payment = Payment.objects.select_for_update().filter(provider_ref=payment_intent).first()
    if payment is None:
        raise PaymentNotYetRecorded(payment_intent)
    existing = Refund.objects.filter(provider_ref=refund_id).first()
    if existing is not None:
        new = _status(status)
        if existing.status != new:
            existing.status = new
            existing.save(update_fields=["status"])
            return f"refund {existing.pk} now {new}"
        return "refund already recorded"
    if amount_minor > refundable(payment):
        log.error("refund %s is above what is left of payment %s", refund_id, payment.pk)
        return "refund above what is left: not recorded"
    Refund.objects.create(
        payment=payment,
        amount_minor=amount_minor,
        currency=payment.currency,
        status=_status(status),
        provider_ref=refund_id,
    )
    return "refund recorded"
