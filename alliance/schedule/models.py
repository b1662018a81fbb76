"""Appointments, availability exceptions, attendance, progress notes and calendar feeds.

Progress notes, with their addenda, formats and co-signature, live here rather than in a
records part: a note documents one appointment and stays beside it, so the notes written
before signing existed keep their table and rows, and nothing is migrated away or lost.

The weekly availability itself is `directory.AvailabilityWindow` (wall-clock times in the
therapist's own zone); exceptions and time off live here, also in the therapist's zone, so
a window keeps its local hour across a daylight-saving change.

No double booking: besides the Python check in `services`, the database refuses two
non-cancelled appointments that overlap for the same therapist or the same client — an
exclusion constraint on PostgreSQL, triggers on SQLite (see `overlap.py` and migration
0002). A cancelled appointment does not hold its slot, so the time can be booked again.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.privacy.fields import EncryptedTextField
from alliance.schedule.errors import NoteLocked


class AvailabilityException(models.Model):
    """One date that differs from the weekly pattern, in the therapist's zone.

    `blocked` without times closes the whole day; with times, only that part. `extra` opens
    a window the weekly pattern does not have.
    """

    class Kind(models.TextChoices):
        BLOCKED = "blocked", _("Not available")
        EXTRA = "extra", _("Extra availability")

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="exception_times_both_or_neither",
            ),
            models.CheckConstraint(
                condition=~Q(kind="extra") | Q(start__isnull=False),
                name="extra_availability_has_times",
            ),
        ]
        indexes = [models.Index(fields=["therapist", "date"], name="avail_exception_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.date}"


class TimeOff(models.Model):
    """Whole days away (holiday, training), inclusive, in the therapist's zone."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="time_off_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"time off {self.first_day}..{self.last_day}"


class Appointment(models.Model):
    """One therapy meeting of a partnership (never called a "session": that is Django's)."""

    class Modality(models.TextChoices):
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio call")
        CHAT = "chat", _("Live chat")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        NONE = "", _("Not recorded")
        CALL = "call", _("From call join times")
        THERAPIST = "therapist", _("Marked by the therapist")

    partnership = models.ForeignKey(
        "care.Partnership", on_delete=models.PROTECT, related_name="appointments"
    )
    # Copies of the partnership's people: the overlap guards are per therapist and per client.
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    modality = models.CharField(max_length=10, choices=Modality.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # iCalendar SEQUENCE: bumped on every change the calendar should pick up.
    sequence = models.PositiveIntegerField(default=0)
    rescheduled_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    late_cancellation = models.BooleanField(default=False)

    client_joined_at = models.DateTimeField(null=True, blank=True)
    therapist_joined_at = models.DateTimeField(null=True, blank=True)
    client_left_at = models.DateTimeField(null=True, blank=True)
    therapist_left_at = models.DateTimeField(null=True, blank=True)
    late_minutes = models.PositiveSmallIntegerField(default=0)
    attendance_source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.NONE, blank=True
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    checkin_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(late_cancellation=False)),
                name="appointment_cancel_fields",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "starts_at"], name="appt_therapist_start"),
            models.Index(fields=["client", "starts_at"], name="appt_client_start"),
            models.Index(fields=["partnership", "starts_at"], name="appt_partnership_start"),
            models.Index(fields=["status", "starts_at"], name="appt_status_start"),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return self.client_id

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def involves(self, user: object) -> bool:
        pk = getattr(user, "pk", None)
        return pk is not None and pk in (self.client_id, self.therapist_id)


class ReminderSent(models.Model):
    """One reminder e-mail per appointment, kind and start time: what makes the reminder
    task idempotent (a retried or duplicated task finds the row and sends nothing)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    starts_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "starts_at"], name="one_reminder_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for appointment {self.appointment_id}"


class NoteTemplate(models.Model):
    """A practice's own note format: a name and its fields' labels, in order.

    Never edited or deleted once made, because notes written with it keep its field keys
    (f1, f2, ...; note_templates.practice_format); a template no longer wanted is retired,
    which takes it off the chooser and leaves its notes readable.
    """

    name = models.CharField(max_length=80)
    labels = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


# What may still change on a signed note: sharing it, and its co-signature.
CHANGEABLE_AFTER_SIGNING = frozenset({"shared_at", "cosigner", "cosigned_at", "cosigned_by"})


class ProgressNote(models.Model):
    """The therapist's note on one appointment, in one format (note_templates.py).

    Clinical free text, encrypted with the client's data key. The client never sees it
    unless the therapist shares it (`shared_at`). `sections` holds {field key: text} as
    JSON; notes written before it existed keep their text in `text` (free) or the four SOAP
    columns, and read as those formats' sections (`section_values`).

    Signed (`signed_at`), a note is locked: `save` refuses any change but sharing and the
    co-signature, and `delete` refuses; what changes later is an addendum. A note by a
    pre-licensed clinician names its `cosigner` (their supervisor) when signed and awaits
    them until `cosigned_at`.
    """

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="progress_note"
    )
    partnership = models.ForeignKey(
        "care.Partnership", on_delete=models.PROTECT, related_name="progress_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template = models.CharField(max_length=20, default="free")
    sections = EncryptedTextField(owner="partnership.client_id", null=True, blank=True)
    text = EncryptedTextField(owner="partnership.client_id", blank=True)
    subjective = EncryptedTextField(owner="partnership.client_id", blank=True)
    objective = EncryptedTextField(owner="partnership.client_id", blank=True)
    assessment = EncryptedTextField(owner="partnership.client_id", blank=True)
    plan = EncryptedTextField(owner="partnership.client_id", blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="note_signed_fields",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_at__isnull=True) | Q(signed_at__isnull=False),
                name="note_cosigned_after_signing",
            ),
        ]
        indexes = [
            models.Index(fields=["cosigner", "cosigned_at"], name="note_cosigner_pending"),
        ]

    def __str__(self) -> str:
        return f"progress note {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            changed = kwargs.get("update_fields")
            stored_signed = ProgressNote.objects.filter(pk=self.pk, signed_at__isnull=False)
            if (changed is None or not set(changed) <= CHANGEABLE_AFTER_SIGNING) and (
                stored_signed.exists()
            ):
                raise NoteLocked(
                    gettext("This note is signed and locked; add an addendum instead.")
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if ProgressNote.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise NoteLocked(gettext("A signed note cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def audit_client_id(self) -> int:
        return self.partnership.client_id

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def awaiting_cosignature(self) -> bool:
        return self.signed_at is not None and self.cosigner_id is not None and not self.cosigned_at

    def section_values(self) -> dict[str, str]:
        """{field key: text}, from `sections` or, for an older note, its legacy columns."""
        if self.sections:
            try:
                loaded = json.loads(self.sections)
            except ValueError:  # erased: the client's key is gone, the text with it
                return {"": str(self.sections)}
            return {str(k): str(v) for k, v in loaded.items()}
        if self.template == "soap":
            names = ("subjective", "objective", "assessment", "plan")
            return {name: getattr(self, name) for name in names}
        return {"text": self.text}


class NoteAddendum(models.Model):
    """What the author adds to a signed note: shown under it, never changed or removed."""

    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(owner="note.partnership.client_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"addendum {self.pk} to progress note {self.note_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NoteLocked(gettext("An addendum cannot change; add another one."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise NoteLocked(gettext("An addendum cannot be deleted."))

    @property
    def audit_client_id(self) -> int:
        return self.note.partnership.client_id


class NoteSupervision(models.Model):
    """A pre-licensed clinician and the supervisor who co-signs their notes."""

    clinician = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="note_supervision"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisees"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(clinician=models.F("supervisor")), name="supervisor_is_someone_else"
            )
        ]

    def __str__(self) -> str:
        return f"supervision of user {self.clinician_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A private iCalendar feed URL per user; revoking replaces the secret."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"
