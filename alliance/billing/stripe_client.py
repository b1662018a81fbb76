"""The one Stripe client, from the settings: the official `stripe` library's `StripeClient`
with its API address (STRIPE_API_BASE) and the secret key.

Without STRIPE_SECRET_KEY card payments are off: no pay-by-card button is shown, and the
practice records payments by hand (payments.record_payment)."""

from __future__ import annotations

from functools import cache

import stripe
from django.conf import settings


def enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


@cache
def _client(key: str, base: str) -> stripe.StripeClient:
    # Retries reuse the same idempotency key, so a retried create cannot charge twice.
    return stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=2)


def client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)
