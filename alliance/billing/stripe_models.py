"""What card payments through Stripe keep: each Checkout Session opened for an invoice, and
each webhook event processed (by its id, once).

The payments and refunds themselves are `Payment` and `Refund` rows (models.py), unique by
the provider's id, so a session or event seen twice can never record money twice.
"""

from __future__ import annotations

from django.db import models


class CheckoutAttempt(models.Model):
    """One Checkout Session created for an invoice. `attempt` numbers them per invoice and
    goes into the idempotency key, so a retried create returns the same session."""

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="checkout_attempts"
    )
    attempt = models.PositiveSmallIntegerField()
    session_id = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=2000)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "attempt"], name="one_checkout_per_attempt")
        ]

    def __str__(self) -> str:
        return f"checkout {self.attempt} of invoice {self.invoice_id}"


class StripeEvent(models.Model):
    """A webhook event already handled: a second delivery of the same id does nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=80)
    # What handling it did ("payment recorded", "already paid: refunded", "ignored"...).
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return self.event_id
