from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.privacy.fields import EncryptedTextField


class Partnership(models.Model):
    """One client with one therapist, from match to end: the anchor of everything clinical.

    A client has at most one active partnership; switching ends it with `end_reason`
    "switched" and starts another.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    class EndReason(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        CLIENT_ENDED = "client_ended", _("Client ended")
        SWITCHED = "switched", _("Switched therapist")
        THERAPIST_ENDED = "therapist_ended", _("Therapist ended")
        DROPOUT = "dropout", _("Dropout")

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_partnerships"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapist_partnerships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="active"), name="one_active_partnership"
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_at__isnull=True)
                | Q(status="ended", ended_at__isnull=False),
                name="ended_partnership_has_end_time",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "status"], name="partnership_therapist_status"),
            models.Index(fields=["client", "status"], name="partnership_client_status"),
        ]

    def __str__(self) -> str:
        return f"partnership {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class CaseNote(models.Model):
    """A therapist's private note on the partnership (not per appointment).

    Clinical free text: encrypted with the client's data key; never shown to the client.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(owner="partnership.client_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.partnership.client_id
