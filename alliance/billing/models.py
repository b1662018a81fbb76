"""Fees, the cancellation policy, charges, invoices and credit notes, payments and refunds.

Money is always an integer number of the currency's minor units (cents) with its ISO 4217
code beside it; never a float.

An issued invoice or credit note never changes: `save()` refuses an update and `delete()`
refuses, and the database refuses both too (triggers, see `immutable.py`). A mistake is
corrected by a credit note. Whether an invoice is paid is not stored on it: it is read from
its payments, refunds and credit notes (queries.py).

A `Charge` is what one appointment owes (a session, a late cancellation, a no-show): at most
one live charge per appointment, by a unique constraint, so a retried handler or the
reconcile job can never charge twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def default_currency() -> str:
    return str(getattr(settings, "BILLING_CURRENCY", "USD"))


def default_window_hours() -> int:
    return int(getattr(settings, "LATE_CANCELLATION_HOURS", 24))


class ImmutableError(Exception):
    """An issued invoice, credit note or line was about to change."""


class PracticeBilling(models.Model):
    """The practice's billing settings: one row (pk 1), edited on the admin page."""

    class InvoiceMode(models.TextChoices):
        PER_SESSION = "per_session", _("An invoice for each session")
        MONTHLY = "monthly", _("A monthly statement")

    practice_name = models.CharField(max_length=200, blank=True)
    practice_address = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    invoice_mode = models.CharField(
        max_length=12, choices=InvoiceMode.choices, default=InvoiceMode.PER_SESSION
    )
    payment_terms_days = models.PositiveSmallIntegerField(default=14)
    # The late-cancellation and no-show policy, shown at booking before it can apply.
    late_cancel_window_hours = models.PositiveSmallIntegerField(default=default_window_hours)
    late_cancel_fee_minor = models.PositiveBigIntegerField(default=0)
    no_show_fee_minor = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_practice_billing")]

    def __str__(self) -> str:
        return "practice billing settings"


class ServiceType(models.Model):
    """A billable service with its default fee and billing code (CPT or the practice's own)."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Intake assessment")
        INDIVIDUAL = "individual", _("Individual session")
        COUPLE = "couple", _("Couple or family session")
        OTHER = "other", _("Other")

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    # Nominal length; individual sessions are chosen by length under the CPT time rule.
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    default_fee_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default=default_currency)
    # A CPT code, or a code the practice made up for its own service.
    is_cpt = models.BooleanField(default=True)
    sliding_scale_applies = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class TherapistFee(models.Model):
    """A therapist's own fee for a service, in place of its default."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_fees"
    )
    service = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="overrides")
    fee_minor = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["therapist", "service"], name="one_fee_per_service")
        ]

    def __str__(self) -> str:
        return f"fee of {self.therapist_id} for {self.service_id}"


class PartnershipService(models.Model):
    """The service a partnership is billed as when it is not chosen by length (a couple's
    work, a practice's own service)."""

    partnership = models.OneToOneField(
        "care.Partnership", on_delete=models.CASCADE, related_name="billing_service"
    )
    service = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"service of partnership {self.partnership_id}"


class SlidingScaleTier(models.Model):
    """An income-based tier: clients in it pay `percent` of the fee."""

    name = models.CharField(max_length=80)
    # Yearly household income up to which the tier is meant (None: no upper limit).
    max_income_minor = models.PositiveBigIntegerField(null=True, blank=True)
    percent = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["percent", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="tier_percent_1_to_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent}%)"


class SlidingScaleApplication(models.Model):
    """A client asks for a tier; an admin approves or refuses. At most one pending and one
    approved application per client: an approval ends the earlier one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Not approved")
        ENDED = "ended", _("Ended")

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sliding_scale"
    )
    tier = models.ForeignKey(SlidingScaleTier, on_delete=models.PROTECT, related_name="+")
    # What the client stated; blanked on erasure (the approved tier stays on the charges).
    stated_income_minor = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="pending"),
                name="one_pending_sliding_scale_application",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="approved"),
                name="one_approved_sliding_scale_tier",
            ),
        ]

    def __str__(self) -> str:
        return f"sliding scale application {self.pk}"


class Charge(models.Model):
    """What one appointment owes: its session fee, a late-cancellation or a no-show fee."""

    class Kind(models.TextChoices):
        SESSION = "session", _("Session")
        LATE_CANCELLATION = "late_cancellation", _("Late cancellation")
        NO_SHOW = "no_show", _("Missed session")

    class Status(models.TextChoices):
        OPEN = "open", _("Not yet invoiced")
        INVOICED = "invoiced", _("Invoiced")
        WAIVED = "waived", _("Waived")
        # Replaced by another charge (attendance corrected, a fee rebilled).
        VOIDED = "voided", _("Replaced")

    appointment = models.ForeignKey(
        "schedule.Appointment", on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    service = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tier = models.ForeignKey(
        SlidingScaleTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    service_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waiver_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["service_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=~Q(status="voided"),
                name="one_live_charge_per_appointment",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="charge_positive"),
        ]
        indexes = [
            models.Index(fields=["therapist", "service_date"], name="charge_therapist_date"),
            models.Index(fields=["client", "status"], name="charge_client_status"),
        ]

    def __str__(self) -> str:
        return f"charge {self.pk}"


class InvoiceCounter(models.Model):
    """The last number issued in a series; its row is locked while an invoice is issued,
    so numbers are consecutive with no gaps (a rolled-back issue gives its number back)."""

    series = models.CharField(max_length=10, unique=True)
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.series} counter"


class _Immutable(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"an issued {self._meta.verbose_name} cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError(f"an issued {self._meta.verbose_name} cannot be deleted")


class Invoice(_Immutable):
    """An invoice (per session, or a monthly statement) or a credit note, as issued."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        STATEMENT = "statement", _("Monthly statement")
        CREDIT_NOTE = "credit_note", _("Credit note")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    series = models.CharField(max_length=10)
    number = models.PositiveBigIntegerField()
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )
    currency = models.CharField(max_length=3)
    total_minor = models.PositiveBigIntegerField()
    issued_at = models.DateTimeField()
    due_on = models.DateField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    # A credit note's invoice and its reason (never clinical).
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.CharField(max_length=200, blank=True)
    # As they stood when it was issued: an invoice says what was true then.
    language = models.CharField(max_length=10, default="en")
    practice_name = models.CharField(max_length=200, blank=True)
    practice_address = models.TextField(blank=True)
    client_name = models.CharField(max_length=200, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(kind="credit_note", credits__isnull=False)
                | (~Q(kind="credit_note") & Q(credits__isnull=True)),
                name="credit_note_credits_an_invoice",
            ),
        ]
        indexes = [models.Index(fields=["client", "issued_at"], name="invoice_client_issued")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.series}-{self.number:06d}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def audit_client_id(self) -> int:
        return self.client_id


class InvoiceLine(_Immutable):
    """One line of an invoice or credit note: a charge as it was billed (or credited)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="lines")
    # Copied from the invoice's kind, so the database can say "billed once, credited once".
    credit = models.BooleanField(default=False)
    description = models.CharField(max_length=200)
    code = models.CharField(max_length=20, blank=True)
    service_date = models.DateField()
    amount_minor = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge", "credit"], name="charge_billed_once_credited_once"
            )
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of invoice {self.invoice_id}"


class Payment(models.Model):
    """Money received for one invoice: by card (through the provider) or recorded by hand."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Received")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=14, choices=Method.choices)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    # The card provider's id (a Checkout Session or PaymentIntent): one payment per id.
    provider_ref = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    # A bank transfer's reference or a receipt number; never clinical.
    reference = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_positive"),
            models.UniqueConstraint(
                fields=["provider_ref"], condition=~Q(provider_ref=""), name="payment_ref_unique"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.invoice.client_id


class Refund(models.Model):
    """Money given back from one payment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_ref = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_positive"),
            models.UniqueConstraint(
                fields=["provider_ref"], condition=~Q(provider_ref=""), name="refund_ref_unique"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="refund_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk}"


# Card payments' and superbills' models live beside their code; imported so Django finds them.
from alliance.billing.stripe_models import CheckoutAttempt as CheckoutAttempt  # noqa: E402
from alliance.billing.stripe_models import StripeEvent as StripeEvent  # noqa: E402
from alliance.billing.superbill_models import Diagnosis as Diagnosis  # noqa: E402
from alliance.billing.superbill_models import (  # noqa: E402
    ProviderIdentifiers as ProviderIdentifiers,
)
from alliance.billing.superbill_models import Superbill as Superbill  # noqa: E402
