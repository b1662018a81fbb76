"""The treatment plan of a partnership: one plan, revised as versions, each signed by the client.

A version is written whole by the client's therapist and never edited afterwards; a
revision is a new version, and only the newest is current. Its goals are the partnership's
co-agreed goals themselves (goals.Goal), never a second list, so the plan always shows a
goal's current wording. The client answers each version: they agree (a typed name, the
statement and a SHA-256 of exactly the text they were shown, as records/signing.py does for
documents) or disagree with a comment; the newest answer of the current version is the
plan's status, and a disagreement is one of the monitor's collaboration evidence.

Diagnoses, problems, objectives, interventions and comments are clinical text, encrypted
with the client's data key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.care.models import Partnership
from alliance.goals.models import Goal
from alliance.privacy.fields import EncryptedTextField

OWNER = "plan.partnership.client_id"


class TreatmentPlan(models.Model):
    """The partnership's one plan; what it says lives in its versions."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.PROTECT, related_name="treatment_plan"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"treatment plan {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.partnership.client_id


class PlanVersion(models.Model):
    """One written text of the plan."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "every_two_weeks", _("Every two weeks")
        MONTHLY = "monthly", _("Monthly")
        OTHER = "other", _("Other")

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField()
    presenting_problems = EncryptedTextField(owner=OWNER, blank=True)
    interventions = EncryptedTextField(owner=OWNER, blank=True)
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    frequency_other = models.CharField(max_length=200, blank=True)
    review_on = models.DateField()
    # Set when the therapist was reminded of the coming review: once per version.
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    goals: models.ManyToManyField[Goal, PlanGoal] = models.ManyToManyField(
        Goal, through="PlanGoal", related_name="plan_versions"
    )

    class Meta:
        ordering = ["plan_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_number")
        ]
        indexes = [models.Index(fields=["review_on"], name="planversion_review_on")]

    def __str__(self) -> str:
        return f"treatment plan {self.plan_id} v{self.number}"

    @property
    def audit_client_id(self) -> int:
        return self.plan.partnership.client_id

    @property
    def frequency_text(self) -> str:
        if self.frequency == self.Frequency.OTHER:
            return self.frequency_other
        return str(self.get_frequency_display())


class PlanDiagnosis(models.Model):
    """An ICD-10-CM code of the version (checked against the shipped chapter 5), with its
    description as the list words it; one of the version's diagnoses is primary."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="diagnoses")
    code = EncryptedTextField(owner="version.plan.partnership.client_id")
    description = EncryptedTextField(owner="version.plan.partnership.client_id")
    primary = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version_id", "position"]

    def __str__(self) -> str:
        return f"diagnosis {self.pk}"


class PlanGoal(models.Model):
    """A co-agreed goal of the partnership, taken into one version of the plan."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="plan_goals")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="plan_entries")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "goal"], name="one_plan_entry_per_goal")
        ]

    def __str__(self) -> str:
        return f"goal {self.goal_id} in plan version {self.version_id}"


class PlanObjective(models.Model):
    """A measurable objective toward one goal of the plan, due by a target date."""

    plan_goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="objectives")
    text = EncryptedTextField(owner="plan_goal.version.plan.partnership.client_id")
    target_on = models.DateField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan_goal_id", "position"]

    def __str__(self) -> str:
        return f"objective {self.pk}"


class PlanResponse(models.Model):
    """The client's answer to one version: agreement with the evidence of their intent, or
    disagreement with what they disagree with."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="responses")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_responses"
    )
    agreed = models.BooleanField()
    typed_name = models.CharField(max_length=200, blank=True)
    statement = models.TextField(blank=True)
    shown_sha256 = models.CharField(max_length=64)
    comment = EncryptedTextField(owner="client_id", blank=True)
    at = models.DateTimeField()
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version_id", "at", "id"]

    def __str__(self) -> str:
        return f"plan response {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.client_id
