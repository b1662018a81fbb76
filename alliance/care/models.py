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
        THERAPIST_LEFT = "therapist_left", _("Therapist left the practice")

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
    # Why the client switched, in pillar terms (bond, goals, tasks) or "practical".
    switch_reason = models.CharField(max_length=20, blank=True)
    # The intake this partnership was matched on (its concerns are the record's domains).
    intake = models.ForeignKey(
        "care.Intake", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Whether the client agreed that goals and history of earlier partnerships pass to this
    # therapist (asked when switching; see `queries.handoff_allowed`).
    handoff_consent = models.BooleanField(default=False)
    # On a partnership ended by a switch: the answer given then, carried to the next one.
    switch_handoff = models.BooleanField(default=False)

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


# --- matching, intake, switching, waiting list ------------------------------------------


class Intake(models.Model):
    """What a client asked for when looking for a therapist (the newest one counts).

    Preferences are stored as {name: {"value": ..., "must": bool}} with names from the
    matching engine's vocabulary; preferred times as [weekday, start hour, end hour] in the
    client's own time zone, turned into UTC hours only when matching (so DST is right for
    the week being matched). Free text is clinical and encrypted with the client's key.
    """

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="intakes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    concerns = models.JSONField(default=list)
    change_wanted = EncryptedTextField(owner="client_id", blank=True)
    preferences = models.JSONField(default=dict)
    languages = models.JSONField(default=list)
    modality = models.CharField(max_length=20)
    jurisdiction = models.ForeignKey("directory.Jurisdiction", on_delete=models.PROTECT)
    timezone = models.CharField(max_length=64)
    preferred_times = models.JSONField(default=list)
    budget = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    insurer = models.CharField(max_length=80, blank=True)
    had_therapy_before = models.BooleanField(default=False)
    did_not_work = EncryptedTextField(owner="client_id", blank=True)
    # Answers to the safety questions at intake (yes/no per question id).
    screen = models.JSONField(default=dict)
    screen_positive = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["client", "-created_at"], name="intake_client_newest")]

    def __str__(self) -> str:
        return f"intake {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.client_id


class MatchIndexVersion(models.Model):
    """One row: bumped whenever the directory or capacity changes, so every worker rebuilds
    its in-memory matching index on its next request."""

    counter = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"index version {self.counter}"


class WeightSet(models.Model):
    """A versioned set of matching weights; the newest active one is used."""

    version = models.CharField(max_length=60, unique=True)
    weights = models.JSONField()
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    partnerships = models.PositiveIntegerField(default=0)
    cv_error_current = models.FloatField(null=True, blank=True)
    cv_error_new = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.version


class MatchOffer(models.Model):
    """One therapist shown to a client, with the reasons shown and the weights version.

    Live matches (`source` "match") and waiting-list offers ("waitlist") are both offers: the
    client chooses or declines; nothing is imposed.
    """

    class Source(models.TextChoices):
        MATCH = "match", _("Match")
        WAITLIST = "waitlist", _("Waiting-list offer")

    class Status(models.TextChoices):
        SHOWN = "shown", _("Shown")
        CHOSEN = "chosen", _("Chosen")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("No longer available")

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="match_offers"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, null=True, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MATCH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SHOWN)
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    unmet = models.JSONField(default=list)
    weights_version = models.CharField(max_length=60)
    index_version = models.CharField(max_length=80)
    switch_reason = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The waiting-list run that made a waiting-list offer (null for live matches).
    waitlist_round = models.ForeignKey(
        "WaitlistRound", on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )

    class Meta:
        indexes = [
            models.Index(fields=["client", "status", "-created_at"], name="offer_client_status")
        ]
        constraints = [
            # A waiting-list place is held by an undecided offer: one per client, so a client
            # is never offered twice and never holds two therapists' places at once.
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(source="waitlist", status="shown"),
                name="one_open_waitlist_offer_per_client",
            ),
            models.UniqueConstraint(
                fields=["client", "waitlist_round"],
                condition=Q(waitlist_round__isnull=False),
                name="one_offer_per_client_and_round",
            ),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk}"


class WaitlistRound(models.Model):
    """One run of the waiting-list assignment. Runs take a database lock one at a time
    (`waitlist.run_assignment`), so concurrent runs never offer the same place twice."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    waiting = models.PositiveIntegerField(default=0)
    offered = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"waiting-list round {self.pk}"


class WaitlistEntry(models.Model):
    """A client waiting for a therapist with room; at most one waiting entry per client."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        MATCHED = "matched", _("Matched")
        LEFT = "left", _("Left the waiting list")

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # After a switch: who to leave out and which pillar to favour.
    excluded = models.JSONField(default=list, blank=True)
    switch_reason = models.CharField(max_length=20, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="waiting"), name="one_waiting_entry"
            )
        ]

    def __str__(self) -> str:
        return f"waiting entry {self.pk}"


class PlannedEnding(models.Model):
    """An ending agreed ahead of time (see `alliance/care/ending.py`).

    A planned ending is never counted as dropout; it asks for final measures and offers
    the client a follow-up check three months after the end.
    """

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="planned_ending"
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_day = models.DateField(help_text="the planned last day of work together")
    created_at = models.DateTimeField(auto_now_add=True)
    final_measures_requested_at = models.DateTimeField(null=True, blank=True)
    # The client's answer to the follow-up offer: None until they answer.
    follow_up_wanted = models.BooleanField(null=True, blank=True)
    follow_up_due_on = models.DateField(null=True, blank=True)
    follow_up_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The model moved here from the schedule; the table keeps its name so a worker of
        # the previous release reads and writes the same rows during a rolling deploy.
        db_table = "schedule_plannedending"

    def __str__(self) -> str:
        return f"planned ending of partnership {self.partnership_id}"
