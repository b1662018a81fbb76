"""The guided journal: entries, guided notebooks and their assignment to a client.

An entry belongs to its client and is private by default; sharing is entry by entry with the
therapist of the partnership it was written in. A therapist never sees a private entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from alliance.care.models import Partnership
from alliance.goals.models import Goal
from alliance.journal import prompts
from alliance.privacy.fields import EncryptedTextField

MOOD_MIN = 0
MOOD_MAX = 10


class Notebook(models.Model):
    """A set of prompts on a theme (e.g. a week of reflection), written by a therapist or
    shipped with the project (`author` empty)."""

    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notebooks",
        null=True,
        blank=True,
    )
    slug = models.SlugField(max_length=60, blank=True)  # set for the project's own notebooks
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=~Q(slug=""), name="notebook_builtin_slug"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_builtin(self) -> bool:
        return self.author_id is None


class NotebookPrompt(models.Model):
    notebook = models.ForeignKey(Notebook, on_delete=models.CASCADE, related_name="prompts")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["notebook", "position"], name="prompt_position")
        ]

    def __str__(self) -> str:
        return self.text[:40]


class NotebookAssignment(models.Model):
    """A notebook a therapist gave a client to work through between sessions."""

    notebook = models.ForeignKey(Notebook, on_delete=models.PROTECT, related_name="assignments")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="notebook_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["-assigned_at", "-id"]

    def __str__(self) -> str:
        return f"notebook {self.notebook_id} for partnership {self.partnership_id}"


class JournalEntry(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="journal_entries"
    )
    # The partnership it was written in (None before a match); sharing goes to its therapist.
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        related_name="journal_entries",
        null=True,
        blank=True,
    )
    body = EncryptedTextField(owner="client_id")
    # The prompt as the client saw it (it may name one of their goals, so it is encrypted).
    prompt = EncryptedTextField(owner="client_id", null=True, blank=True)
    bring_to_session = EncryptedTextField(owner="client_id", null=True, blank=True)
    mood = models.PositiveSmallIntegerField(null=True, blank=True)
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, related_name="journal_entries", null=True, blank=True
    )
    assignment = models.ForeignKey(
        NotebookAssignment,
        on_delete=models.SET_NULL,
        related_name="entries",
        null=True,
        blank=True,
    )
    notebook_prompt = models.ForeignKey(
        NotebookPrompt, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "created_at"], name="journal_client_time"),
            models.Index(fields=["partnership", "shared_at"], name="journal_partnership_shared"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(mood__isnull=True) | Q(mood__gte=MOOD_MIN, mood__lte=MOOD_MAX),
                name="journal_mood_in_range",
            ),
            models.CheckConstraint(
                condition=Q(shared_at__isnull=True) | Q(partnership__isnull=False),
                name="shared_entry_has_partnership",
            ),
        ]

    def __str__(self) -> str:
        return f"journal entry {self.pk}"

    @property
    def prompt_label(self) -> str | None:
        """The prompt in the reader's language (`prompts.shown`)."""
        return prompts.shown(self.prompt)

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None

    @property
    def audit_client_id(self) -> int:
        return self.client_id
