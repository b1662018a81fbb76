"""Stripe's webhook: the only way a card payment is recorded.

Each request is verified with Stripe's signature scheme (`stripe.Webhook.construct_event`:
HMAC-SHA256 of "timestamp.body" under the endpoint's secret, the timestamp within five
minutes): unsigned, forged or replayed requests get 400 and change nothing.

Each event id is handled once (`StripeEvent`, unique), in the same transaction as what it
records, so a second delivery finds it and does nothing; twenty deliveries at once wait on
the first's row and then find it. A payment is unique by its PaymentIntent id, so
`checkout.session.completed` and `payment_intent.succeeded` for one payment record it once.
Out of order: a card payment for an invoice already paid (by hand, meanwhile) is refunded
in full through Stripe instead of recorded; a refund that arrives before its payment is
answered 409 and not stored, so Stripe delivers it again once the payment is in.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alliance.billing import payments, stripe_client
from alliance.billing.errors import BillingError
from alliance.billing.models import Invoice, Payment
from alliance.billing.stripe_models import StripeEvent
from alliance.billing.stripe_refunds import PaymentNotYetRecorded, record_provider_refund
from alliance.privacy.access import access

log = logging.getLogger(__name__)


def _invoice_id(obj: dict[str, Any]) -> int | None:
    raw = (obj.get("metadata") or {}).get("invoice_id") or obj.get("client_reference_id")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def _card_payment(invoice_id: int | None, intent: str, amount: int, currency: str) -> str:
    invoice = Invoice.objects.filter(pk=invoice_id).first() if invoice_id else None
    if invoice is None or not intent:
        return "no invoice of ours: ignored"
    if Payment.objects.filter(provider_ref=intent).exists():
        return "payment already recorded"
    try:
        with transaction.atomic():
            payments.record_payment(
                invoice=invoice,
                amount_minor=amount,
                currency=currency.upper(),
                method=Payment.Method.CARD,
                provider_ref=intent,
            )
        return "payment recorded"
    except BillingError as refusal:
        # The client's card was charged, but the invoice cannot take it (paid by hand in the
        # meantime, or credited): the money goes back, whole, instead of being kept.
        stripe_client.client().v1.refunds.create(
            {"payment_intent": intent, "metadata": {"invoice_id": str(invoice.pk)}},
            options={"idempotency_key": f"alliance-return-{intent}"},
        )
        log.warning("card payment %s for invoice %s refunded: %s", intent, invoice.pk, refusal)
        return f"refused ({refusal}): refunded in full"


def _session_paid(obj: dict[str, Any]) -> str:
    if obj.get("payment_status") != "paid":
        return "not paid yet"
    return _card_payment(
        _invoice_id(obj),
        str(obj.get("payment_intent") or ""),
        int(obj.get("amount_total") or 0),
        str(obj.get("currency") or ""),
    )


def _intent_succeeded(obj: dict[str, Any]) -> str:
    return _card_payment(
        _invoice_id(obj),
        str(obj.get("id") or ""),
        int(obj.get("amount_received") or 0),
        str(obj.get("currency") or ""),
    )


def _refund(obj: dict[str, Any]) -> str:
    return record_provider_refund(
        refund_id=str(obj.get("id") or ""),
        payment_intent=str(obj.get("payment_intent") or ""),
        amount_minor=int(obj.get("amount") or 0),
        status=obj.get("status"),
    )


def _charge_refunded(obj: dict[str, Any]) -> str:
    # Older API versions list the refunds on the charge; newer ones send refund.created.
    listed = (obj.get("refunds") or {}).get("data") or []
    return "; ".join(_refund(r) for r in listed) or "noted (refund events carry the refunds)"


HANDLERS = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "payment_intent.succeeded": _intent_succeeded,
    "refund.created": _refund,
    "refund.updated": _refund,
    "charge.refunded": _charge_refunded,
}


@transaction.atomic
def handle_event(event_id: str, kind: str, obj: dict[str, Any]) -> str:
    """Handle one verified event once; what it did, in words."""
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(event_id=event_id, type=kind[:80])
    except IntegrityError:
        return "already processed"
    handler = HANDLERS.get(kind)
    outcome = handler(obj) if handler else "ignored"
    StripeEvent.objects.filter(pk=stored.pk).update(outcome=outcome[:200])
    return outcome


@access("public", scope="public")
@csrf_exempt  # Stripe cannot send our CSRF token; the signature stands in for it.
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    if not stripe_client.enabled():
        return JsonResponse({"detail": "Card payments are not set up."}, status=404)
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature"), settings.STRIPE_WEBHOOK_SECRET
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        log.warning("refused a Stripe webhook: %s", error)
        return JsonResponse({"detail": "The signature could not be verified."}, status=400)
    try:
        outcome = handle_event(event.id, event.type, event.data.object.to_dict())
    except PaymentNotYetRecorded:
        return JsonResponse(
            {"detail": "The payment is not recorded yet; send it again."}, status=409
        )
    except stripe.StripeError as error:
        log.error("Stripe webhook %s could not be handled: %s", event.id, error)
        return JsonResponse({"detail": "Stripe could not be reached; send it again."}, status=503)
    return JsonResponse({"received": True, "outcome": outcome})
