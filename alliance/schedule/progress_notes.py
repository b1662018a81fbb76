"""Progress notes: the therapist's note of one appointment (free text or SOAP), and
sharing it with the client."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.schedule.changes import lock_appointment
from alliance.schedule.errors import ScheduleError
from alliance.schedule.models import Appointment, ProgressNote

NOTE_MAX_CHARS = 20_000


@transaction.atomic
def save_progress_note(
    *,
    appointment: Appointment,
    author: User,
    template: str,
    text: str = "",
    subjective: str = "",
    objective: str = "",
    assessment: str = "",
    plan: str = "",
) -> ProgressNote:
    locked = lock_appointment(appointment)
    if author.pk != locked.therapist_id or not locked.partnership.is_active:
        raise ScheduleError(_("Only the client's current therapist can write notes."))
    if template not in ProgressNote.Template.values:
        raise ScheduleError(_("Choose a note format."))
    parts = {
        "text": text.strip(),
        "subjective": subjective.strip(),
        "objective": objective.strip(),
        "assessment": assessment.strip(),
        "plan": plan.strip(),
    }
    used = ["text"] if template == ProgressNote.Template.FREE else list(parts)[1:]
    if not any(parts[name] for name in used):
        raise ScheduleError(_("A note cannot be empty."))
    if sum(len(parts[name]) for name in used) > NOTE_MAX_CHARS:
        raise ScheduleError(_("A note can be at most %(n)d characters.") % {"n": NOTE_MAX_CHARS})
    note = ProgressNote.objects.filter(appointment=locked).first() or ProgressNote(
        appointment=locked, partnership=locked.partnership, author=author
    )
    note.template = template
    for name, value in parts.items():
        setattr(note, name, value if name in used else "")
    note.save()
    return note


@transaction.atomic
def share_progress_note(*, note: ProgressNote, by: User, shared: bool) -> ProgressNote:
    if by.pk != note.author_id or not note.partnership.is_active:
        raise ScheduleError(_("Only the note's author can share it."))
    note.shared_at = timezone.now() if shared else None
    note.save(update_fields=["shared_at"])
    return note
