"""The documents a practice asks clients to sign, their versions, and the signatures.

A version's text never changes once published: a change is a new version, which asks every
client for a new signature. A signature keeps what ESIGN (15 U.S.C. 7001) and UETA ask of an
electronic signature: the signer's intent (the name they typed and the statement they
agreed to), their consent to electronic records, the time, the version signed and a SHA-256
of exactly what was shown to them. The signed copy is a PDF, stored encrypted under the
client's data key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.privacy.fields import EncryptedTextField


class Document(models.Model):
    """A document of the practice, e.g. its informed consent; its text lives in versions."""

    class Kind(models.TextChoices):
        INFORMED_CONSENT = "informed_consent", _("Informed consent")
        PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")
        RELEASE = "release_of_information", _("Release of information")
        FINANCIAL_POLICY = "financial_policy", _("Financial policy")
        TELEHEALTH_CONSENT = "telehealth_consent", _("Telehealth consent")
        OTHER = "other", _("Other")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    required_before_booking = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_release(self) -> bool:
        return self.kind == self.Kind.RELEASE


class DocumentVersion(models.Model):
    """One published text of a document; never edited, only followed by a newer one."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.document.title} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a published document version cannot change; publish a new one")
        super().save(*args, **kwargs)


class Signature(models.Model):
    """A client's signature of one version, with the evidence of their intent."""

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="document_signatures"
    )
    typed_name = models.CharField(max_length=200)
    statement = models.TextField()
    electronic_records_consent = models.BooleanField()
    shown_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    user_agent = models.CharField(max_length=300, blank=True)
    # Copied from the document's kind: a client may sign several releases of one version
    # (one per recipient), but any other document once.
    release = models.BooleanField(default=False)
    # A release of information names who may receive the record, why, and until when.
    recipient = EncryptedTextField(owner="client_id", blank=True)
    purpose = EncryptedTextField(owner="client_id", blank=True)
    expires_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The signed copy as base64 PDF bytes, encrypted like clinical text.
    signed_pdf = EncryptedTextField(owner="client_id")

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "client"],
                condition=Q(revoked_at__isnull=True, release=False),
                name="one_signature_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"signature {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.client_id


from alliance.records.plan_models import PlanDiagnosis as PlanDiagnosis  # noqa: E402
from alliance.records.plan_models import PlanGoal as PlanGoal  # noqa: E402
from alliance.records.plan_models import PlanObjective as PlanObjective  # noqa: E402
from alliance.records.plan_models import PlanResponse as PlanResponse  # noqa: E402
from alliance.records.plan_models import PlanVersion as PlanVersion  # noqa: E402
from alliance.records.plan_models import TreatmentPlan as TreatmentPlan  # noqa: E402
