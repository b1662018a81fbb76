"""Reads of progress notes: the formats on offer, a note's sections as shown, the notes a
therapist is late to sign and the notes awaiting a supervisor's co-signature."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.schedule.models import Appointment, NoteTemplate, ProgressNote
from alliance.schedule.note_templates import (
    SHIPPED,
    SHIPPED_BY_KEY,
    NoteFormat,
    localized,
    practice_format,
    practice_pk,
)


def available_formats() -> list[NoteFormat]:
    """The chooser's formats: the shipped ones, then the practice's own still in use."""
    own = NoteTemplate.objects.filter(active=True)
    return [localized(fmt) for fmt in SHIPPED] + [
        practice_format(t.pk, t.name, t.labels) for t in own
    ]


def format_for(key: str, *, include_retired: bool = False) -> NoteFormat | None:
    """The format named by `key`, or None; a retired practice format only for reading."""
    if key in SHIPPED_BY_KEY:
        return localized(SHIPPED_BY_KEY[key])
    pk = practice_pk(key)
    if pk is None:
        return None
    found = NoteTemplate.objects.filter(pk=pk)
    if not include_retired:
        found = found.filter(active=True)
    template = found.first()
    return practice_format(template.pk, template.name, template.labels) if template else None


@dataclass(frozen=True)
class ShownSection:
    label: str
    text: str


def shown_sections(note: ProgressNote) -> list[ShownSection]:
    """The note's filled sections in its format's order, each with its label."""
    fmt = format_for(note.template, include_retired=True)
    values = note.section_values()
    labels = {f.key: f.label for f in fmt.fields} if fmt else {}
    order = [key for key in labels if key in values] + [key for key in values if key not in labels]
    # A free-text note needs no heading over its one section.
    single = fmt is not None and len(fmt.fields) == 1
    return [
        ShownSection("" if single else labels.get(key, key), values[key])
        for key in order
        if values[key]
    ]


def sign_limit() -> dt.timedelta:
    return dt.timedelta(hours=settings.NOTES_SIGN_WITHIN_HOURS)


def late_to_sign(therapist: User, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """Appointments of the therapist's active partnerships that ended more than the
    practice's limit ago with a note still unsigned, or attended with no note at all."""
    cutoff = (now or timezone.now()) - sign_limit()
    return (
        Appointment.objects.filter(
            therapist=therapist,
            partnership__status=Partnership.Status.ACTIVE,
            ends_at__lte=cutoff,
        )
        .filter(
            Q(progress_note__isnull=False, progress_note__signed_at__isnull=True)
            | Q(progress_note__isnull=True, status=Appointment.Status.ATTENDED)
        )
        .select_related("client", "progress_note")
        .order_by("ends_at", "id")
    )


def awaiting_cosignature(supervisor: User) -> QuerySet[ProgressNote]:
    """Signed notes of the supervisor's pre-licensed clinicians that they have not co-signed."""
    return (
        ProgressNote.objects.filter(
            cosigner=supervisor, signed_at__isnull=False, cosigned_at__isnull=True
        )
        .select_related("author", "appointment", "partnership__client")
        .order_by("signed_at", "id")
    )
