"""Questionnaires: the instruments a practice added, which outcome measures a partnership
answers and how often, each invitation to a check-in, and the responses with their scores.

Scores and answers are stored as the measures engine returns them; the free-text comment
of the Alliance Check-in is clinical free text and is encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.privacy.fields import EncryptedTextField

DEFAULT_OUTCOME_INSTRUMENTS = ["phq9", "gad7"]
CHECKIN = "alliance_checkin"
CHECKIN_THERAPIST = "alliance_checkin_therapist"


def default_outcome_instruments() -> list[str]:
    return list(DEFAULT_OUTCOME_INSTRUMENTS)


class PracticeInstrument(models.Model):
    """An instrument a practice added (e.g. a licensed one, imported from a FHIR
    Questionnaire). `definition` is the engine's JSON form, validated by its schema."""

    instrument_id = models.SlugField(max_length=60, unique=True)
    version = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    source = models.CharField(max_length=20, default="fhir")  # "fhir" or "file"
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.instrument_id


class OutcomeSchedule(models.Model):
    """Which outcome measures a partnership answers, and how often.

    Default: PHQ-9 and GAD-7 at intake (session 1) and every second session after it.
    """

    partnership = models.OneToOneField(
        "care.Partnership", on_delete=models.CASCADE, related_name="outcome_schedule"
    )
    instruments = models.JSONField(default=default_outcome_instruments)
    every_n_sessions = models.PositiveSmallIntegerField(default=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"outcome schedule of partnership {self.partnership_id}"


class CheckinRequest(models.Model):
    """One invitation to rate a session (and, when due, answer the outcome measures)."""

    partnership = models.ForeignKey(
        "care.Partnership", on_delete=models.PROTECT, related_name="checkin_requests"
    )
    appointment_id = models.BigIntegerField(null=True, blank=True)
    session_number = models.PositiveIntegerField()
    instruments = models.JSONField(default=list)  # what the client is asked, in order
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "appointment_id"],
                condition=Q(appointment_id__isnull=False),
                name="one_checkin_request_per_appointment",
            ),
            models.UniqueConstraint(
                fields=["partnership", "session_number"], name="one_checkin_request_per_session"
            ),
        ]
        ordering = ["-session_number"]

    def __str__(self) -> str:
        return f"check-in request {self.pk} (session {self.session_number})"

    @property
    def audit_client_id(self) -> int:
        return int(self.partnership.client_id)


class ResponseQuerySet(models.QuerySet["Response"]):
    def current(self) -> ResponseQuerySet:
        """The scores that count: a corrected response is kept but no longer counts."""
        return self.filter(superseded_at__isnull=True)


class Response(models.Model):
    """One completed questionnaire: answers and the engine's scores.

    The free-text answer of the check-in is kept only in `comment` (encrypted), never in
    `answers`.

    One score per instrument, respondent and session: a second submission of the same
    instrument for the same session is a *correction*. It becomes the current score and the
    earlier row is kept, marked superseded (`superseded_at`, `superseded_by`), so nothing
    is lost and every chart, rule and export reads one score per session
    (`Response.objects.current()`). A database constraint enforces it on write.
    """

    class Role(models.TextChoices):
        CLIENT = "client", _("Client")
        THERAPIST = "therapist", _("Therapist")

    partnership = models.ForeignKey(
        "care.Partnership", on_delete=models.PROTECT, related_name="responses"
    )
    request = models.ForeignKey(
        CheckinRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    respondent_role = models.CharField(max_length=10, choices=Role.choices)
    instrument_id = models.CharField(max_length=60)
    instrument_version = models.CharField(max_length=30)
    session_number = models.PositiveIntegerField()
    answers = models.JSONField()
    total = models.FloatField()
    subscales = models.JSONField(default=dict)
    band = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list)
    prorated = models.BooleanField(default=False)
    # Null when the client wrote nothing: only real text is encrypted.
    comment = EncryptedTextField(owner="partnership.client_id", blank=True, null=True, default=None)
    submitted_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=64)
    # Safety (critical) items the form let the respondent leave blank: the total is prorated
    # and the therapist is told ("safety question unanswered").
    critical_missing = models.JSONField(default=list, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "idempotency_key"], name="response_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["partnership", "instrument_id", "respondent", "session_number"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_score_per_session",
            ),
            models.UniqueConstraint(
                fields=["request", "instrument_id", "respondent"],
                condition=Q(request__isnull=False),
                name="one_response_per_request_instrument",
            ),
        ]
        indexes = [
            models.Index(
                fields=["partnership", "instrument_id", "session_number"],
                name="response_partnership_instr",
            ),
            models.Index(fields=["instrument_id", "respondent_role"], name="response_instr_role"),
        ]
        ordering = ["session_number", "id"]

    def __str__(self) -> str:
        return f"{self.instrument_id} response {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return int(self.partnership.client_id)
