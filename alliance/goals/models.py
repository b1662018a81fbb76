"""Goals, tasks (homework) and the working agreement of one partnership.

Goal and task agreement are two of the three pillars of the alliance (Bordin 1979):
each goal and task records *when each side agreed*, so "goals never co-agreed" is a fact the
alert rules can read rather than an impression. Every change is kept as history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.care.models import Partnership
from alliance.privacy.fields import EncryptedTextField

# Goal Attainment Scaling (Kiresuk & Sherman 1968): five levels around the expected outcome,
# -2 much less than expected, -1 somewhat less, 0 the expected level, +1 somewhat more,
# +2 much more than expected.
GAS_MIN = -2
GAS_MAX = 2
GAS_LABELS = {
    -2: _("Much less than hoped"),
    -1: _("Somewhat less than hoped"),
    0: _("Where we hoped"),
    1: _("Somewhat more than hoped"),
    2: _("Much more than hoped"),
}


class Side(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")


class TwoSided:
    """What goals and tasks share: each side's agreement time, and the client whose record
    an audit row names."""

    agreed_by_client_at: Any
    agreed_by_therapist_at: Any
    partnership: Any

    @property
    def audit_client_id(self) -> int:
        return int(self.partnership.client_id)

    @property
    def is_agreed(self) -> bool:
        return self.agreed_by_client_at is not None and self.agreed_by_therapist_at is not None

    def agreed_by(self, side: str) -> bool:
        if side == Side.CLIENT:
            return self.agreed_by_client_at is not None
        return self.agreed_by_therapist_at is not None


class Goal(TwoSided, models.Model):
    """A goal one side proposed and both sides agree to.

    A goal is agreed when both `agreed_by_client_at` and `agreed_by_therapist_at` are set;
    editing the wording clears the other side's agreement, since they agreed to other words.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ACHIEVED = "achieved", _("Achieved")
        ARCHIVED = "archived", _("Archived")

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="goals")
    title = EncryptedTextField(owner="partnership.client_id")
    description = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_side = models.CharField(max_length=10, choices=Side.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    agreed_by_client_at = models.DateTimeField(null=True, blank=True)
    agreed_by_therapist_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["partnership", "status"], name="goal_partnership_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", closed_at__isnull=True)
                | Q(~Q(status="active"), closed_at__isnull=False),
                name="closed_goal_has_close_time",
            )
        ]

    def __str__(self) -> str:
        return f"goal {self.pk}"

    @property
    def agreed_at(self):  # type: ignore[no-untyped-def]
        """When the second side agreed: the moment the goal became shared."""
        if not self.is_agreed:
            return None
        return max(self.agreed_by_client_at, self.agreed_by_therapist_at)  # type: ignore[type-var]

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def rating_list(self) -> list[GoalRating]:
        """Ratings oldest first (uses the prefetch of `queries.goals_of` when present)."""
        return list(self.ratings.all())

    @property
    def latest_rating(self) -> GoalRating | None:
        ratings = self.rating_list
        return ratings[-1] if ratings else None


class GoalRating(models.Model):
    """One goal-attainment rating (-2..+2); the series is the goal's progress."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="ratings")
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_by_side = models.CharField(max_length=10, choices=Side.choices)
    value = models.SmallIntegerField()
    note = EncryptedTextField(owner="goal.partnership.client_id", null=True, blank=True)
    rated_at = models.DateTimeField()

    class Meta:
        ordering = ["rated_at", "id"]
        indexes = [models.Index(fields=["goal", "rated_at"], name="goalrating_goal_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=GAS_MIN, value__lte=GAS_MAX), name="gas_rating_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"rating {self.value:+d} of goal {self.goal_id}"

    @property
    def label(self) -> str:
        return str(GAS_LABELS[self.value])


class GoalEvent(models.Model):
    """The goal's history: who proposed, agreed, reworded, achieved or archived it, and when.

    `previous_text` keeps the wording before an edit (encrypted), so history is never lost.
    """

    class Kind(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AGREED = "agreed", _("Agreed")
        EDITED = "edited", _("Reworded")
        ACHIEVED = "achieved", _("Achieved")
        ARCHIVED = "archived", _("Archived")

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_side = models.CharField(max_length=10, choices=Side.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    previous_text = EncryptedTextField(owner="goal.partnership.client_id", null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} goal {self.goal_id}"


class Task(TwoSided, models.Model):
    """Homework between sessions: set by the therapist or proposed by the client, agreed by
    both, due on a date, then done or not done with an optional reflection."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        NOT_DONE = "not_done", _("Not done")

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="tasks")
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, related_name="tasks", null=True, blank=True
    )
    title = EncryptedTextField(owner="partnership.client_id")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_side = models.CharField(max_length=10, choices=Side.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    agreed_by_client_at = models.DateTimeField(null=True, blank=True)
    agreed_by_therapist_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField()
    reflection = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["partnership", "status"], name="task_partnership_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(~Q(status="open"), resolved_at__isnull=False),
                name="resolved_task_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"task {self.pk}"


class WorkingAgreement(models.Model):
    """One version of "how we work together"; the newest version of a partnership is current.

    The client writes what helps them feel connected and what creates distance; the
    therapist responds. Each revision is a new row, so the history is the table itself.
    """

    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="working_agreements"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_side = models.CharField(max_length=10, choices=Side.choices)
    connected = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    distance = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    communication = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    session_structure = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    feedback = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    therapist_response = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    created_at = models.DateTimeField()

    CLIENT_FIELDS = ("connected", "distance", "communication", "session_structure", "feedback")
    THERAPIST_FIELDS = ("therapist_response",)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partnership", "created_at"], name="agreement_partnership_time")
        ]

    def __str__(self) -> str:
        return f"working agreement {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.partnership.client_id
