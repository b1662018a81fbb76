"""What a superbill is made of besides invoices: the identifiers of the practice and its
therapists (NPI, tax id), the client's diagnosis as the therapist entered it, and the
client's requests for a superbill.

A diagnosis is clinical: its code and words are encrypted with the client's data key, and
it appears on a superbill the client asked for and nowhere else (never on an invoice, a
receipt or a payment e-mail).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from alliance.privacy.fields import EncryptedTextField


class ProviderIdentifiers(models.Model):
    """The NPI and tax id (EIN) a superbill names: a therapist's (the rendering provider),
    or, on the row without a therapist, the practice's (the billing provider)."""

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="billing_identifiers",
    )
    npi = models.CharField(max_length=10, blank=True)
    tax_id = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["therapist"],
                condition=Q(therapist__isnull=True),
                name="one_practice_identifiers",
            ),
            models.UniqueConstraint(
                fields=["therapist"],
                condition=Q(therapist__isnull=False),
                name="one_identifiers_per_therapist",
            ),
        ]

    def __str__(self) -> str:
        return f"identifiers of {self.therapist_id or 'the practice'}"


class Diagnosis(models.Model):
    """An ICD-10-CM code the therapist gave for a partnership, from a date; the latest one
    on or before a superbill's period end is the one printed."""

    partnership = models.ForeignKey(
        "care.Partnership", on_delete=models.PROTECT, related_name="billing_diagnoses"
    )
    code = EncryptedTextField(owner="partnership.client_id")
    description = EncryptedTextField(owner="partnership.client_id")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    diagnosed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["diagnosed_on", "id"]

    def __str__(self) -> str:
        return f"diagnosis {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.partnership.client_id


class Superbill(models.Model):
    """A client's request for a superbill of a period; the PDF is drawn from it each time
    it is opened, by the client (or, audited, by an admin)."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="superbills"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="superbill_period_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"superbill {self.pk}"
