"""Progress notes: the therapist's note of one appointment in a chosen format, signed and
locked by its author, added to by addenda, co-signed by a supervisor where the author is
pre-licensed, and shared with the client.

Only the note's author, the client's current therapist, writes, signs, adds to or shares
it. Signing locks it: these services refuse a change with a clear message first, and the
model refuses it again in `save` (models.ProgressNote), so no other path can change a
signed note through the ORM. (There is no database trigger as billing's invoices have:
a note is written by one service, and its table is rebuilt by SQLite migrations.)
"""

from __future__ import annotations

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.schedule import note_queries
from alliance.schedule.changes import lock_appointment
from alliance.schedule.errors import ScheduleError
from alliance.schedule.models import Appointment, NoteAddendum, NoteSupervision, ProgressNote

NOTE_MAX_CHARS = 20_000
ADDENDUM_MAX_CHARS = 10_000
LEGACY_COLUMNS = ("text", "subjective", "objective", "assessment", "plan")


def _locked(note: ProgressNote) -> ProgressNote:
    return ProgressNote.objects.select_for_update().select_related("partnership").get(pk=note.pk)


def _is_author(note: ProgressNote, user: User) -> bool:
    """The note's author while they are still the client's therapist."""
    partnership = note.partnership
    return (
        user.pk == note.author_id and user.pk == partnership.therapist_id and partnership.is_active
    )


def _checked_sections(template: str, sections: dict[str, str]) -> tuple[str, dict[str, str]]:
    fmt = note_queries.format_for(template)
    if fmt is None:
        raise ScheduleError(_("Choose a note format."))
    if set(sections) - set(fmt.field_keys):
        raise ScheduleError(_("That section is not part of the chosen format."))
    values = {key: (sections.get(key) or "").strip() for key in fmt.field_keys}
    if not any(values.values()):
        raise ScheduleError(_("A note cannot be empty."))
    if sum(len(value) for value in values.values()) > NOTE_MAX_CHARS:
        raise ScheduleError(_("A note can be at most %(n)d characters.") % {"n": NOTE_MAX_CHARS})
    return fmt.key, values


@transaction.atomic
def save_progress_note(
    *, appointment: Appointment, author: User, template: str, **sections: str
) -> ProgressNote:
    """Write or rewrite the appointment's note: `sections` are the format's fields by key
    (`text` for free text; `data`, `assessment`, `plan` for DAP; ...)."""
    locked = lock_appointment(appointment)
    if author.pk != locked.therapist_id or not locked.partnership.is_active:
        raise ScheduleError(_("Only the client's current therapist can write notes."))
    key, values = _checked_sections(template, sections)
    note = ProgressNote.objects.select_for_update().filter(appointment=locked).first()
    if note is not None and note.is_signed:
        raise ScheduleError(_("This note is signed and locked; add an addendum instead."))
    if note is not None and note.author_id != author.pk:
        raise ScheduleError(_("Only the note's author can change it."))
    if note is None:
        note = ProgressNote(appointment=locked, partnership=locked.partnership, author=author)
    note.template = key
    note.sections = json.dumps(values, ensure_ascii=False)
    for column in LEGACY_COLUMNS:  # what the note said before lives in `sections` now
        setattr(note, column, "")
    note.save()
    return note


@transaction.atomic
def sign_progress_note(*, note: ProgressNote, by: User) -> ProgressNote:
    """Sign and lock the note; a pre-licensed author's note then awaits their supervisor."""
    locked = _locked(note)
    if not _is_author(locked, by):
        raise ScheduleError(_("Only the note's author can sign it."))
    if locked.is_signed:
        raise ScheduleError(_("This note is already signed."))
    supervision = NoteSupervision.objects.filter(clinician=by).first()
    locked.signed_at = timezone.now()
    locked.signed_by = by
    locked.cosigner_id = supervision.supervisor_id if supervision else None
    locked.save(update_fields=["signed_at", "signed_by", "cosigner"])
    return locked


@transaction.atomic
def add_note_addendum(*, note: ProgressNote, author: User, text: str) -> NoteAddendum:
    """Add to a signed note; the original stays as it was signed."""
    locked = _locked(note)
    if not _is_author(locked, author):
        raise ScheduleError(_("Only the note's author can add to it."))
    if not locked.is_signed:
        raise ScheduleError(_("Until the note is signed, change the note itself."))
    text = text.strip()
    if not text:
        raise ScheduleError(_("An addendum cannot be empty."))
    if len(text) > ADDENDUM_MAX_CHARS:
        raise ScheduleError(
            _("An addendum can be at most %(n)d characters.") % {"n": ADDENDUM_MAX_CHARS}
        )
    return NoteAddendum.objects.create(note=locked, author=author, text=text)


@transaction.atomic
def cosign_progress_note(*, note: ProgressNote, by: User) -> ProgressNote:
    """The supervisor's co-signature of a pre-licensed clinician's signed note."""
    locked = _locked(note)
    if by.pk == locked.author_id:
        raise ScheduleError(_("You cannot co-sign your own note."))
    if not locked.is_signed or locked.cosigner_id is None:
        raise ScheduleError(_("This note does not await a co-signature."))
    if by.pk != locked.cosigner_id:
        raise ScheduleError(_("Only the clinician's supervisor can co-sign this note."))
    if locked.cosigned_at is not None:
        raise ScheduleError(_("This note is already co-signed."))
    locked.cosigned_at = timezone.now()
    locked.cosigned_by = by
    locked.save(update_fields=["cosigned_at", "cosigned_by"])
    return locked


@transaction.atomic
def share_progress_note(*, note: ProgressNote, by: User, shared: bool) -> ProgressNote:
    locked = _locked(note)
    if not _is_author(locked, by):
        raise ScheduleError(_("Only the note's author can share it."))
    locked.shared_at = timezone.now() if shared else None
    locked.save(update_fields=["shared_at"])
    return locked
