"""`{% card_payments_on as on %}`: whether the pay-by-card button is shown (Stripe keys set)."""

from __future__ import annotations

from django import template

from alliance.billing import stripe_client

register = template.Library()


@register.simple_tag
def card_payments_on() -> bool:
    return stripe_client.enabled()
