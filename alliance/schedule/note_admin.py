"""What a practice admin sets for progress notes: the practice's own note formats and which
therapists are pre-licensed, with the supervisor who co-signs their notes."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.schedule.errors import ScheduleError
from alliance.schedule.models import NoteSupervision, NoteTemplate, ProgressNote

NAME_MAX = 80
LABEL_MAX = 80
MAX_FIELDS = 12


def _require_admin(user: User) -> None:
    if not user.is_practice_admin:
        raise ScheduleError(_("Only a practice admin can change this."))


@transaction.atomic
def create_note_template(*, name: str, labels: Sequence[str], by: User) -> NoteTemplate:
    _require_admin(by)
    name = name.strip()
    cleaned = [label.strip() for label in labels if label.strip()]
    if not name or len(name) > NAME_MAX:
        raise ScheduleError(
            _("Give the format a name of at most %(n)d characters.") % {"n": NAME_MAX}
        )
    if not cleaned or len(cleaned) > MAX_FIELDS:
        raise ScheduleError(_("Give between 1 and %(n)d sections, one a line.") % {"n": MAX_FIELDS})
    if any(len(label) > LABEL_MAX for label in cleaned):
        raise ScheduleError(
            _("A section's name can be at most %(n)d characters.") % {"n": LABEL_MAX}
        )
    if len({label.casefold() for label in cleaned}) != len(cleaned):
        raise ScheduleError(_("Each section needs a name of its own."))
    return NoteTemplate.objects.create(name=name, labels=cleaned, created_by=by)


@transaction.atomic
def retire_note_template(*, template_id: int, by: User) -> None:
    """Take a format off the chooser; the notes written with it keep reading as before."""
    _require_admin(by)
    if not NoteTemplate.objects.filter(pk=template_id, active=True).update(active=False):
        raise ScheduleError(_("No such note format."))


@transaction.atomic
def set_supervision(*, clinician: User, supervisor: User, by: User) -> NoteSupervision:
    """Mark `clinician` pre-licensed under `supervisor`. Their signed notes still awaiting a
    co-signature move to the new supervisor, so none is left with someone who no longer
    supervises them."""
    _require_admin(by)
    if not (clinician.is_therapist and supervisor.is_therapist):
        raise ScheduleError(_("Both people must be therapists."))
    if not (clinician.is_active and supervisor.is_active):
        raise ScheduleError(_("Both therapists must have an active account."))
    if clinician.pk == supervisor.pk:
        raise ScheduleError(_("A clinician cannot supervise themselves."))
    supervision, _created = NoteSupervision.objects.update_or_create(
        clinician=clinician, defaults={"supervisor": supervisor, "set_by": by}
    )
    # A queryset update: the co-signer may change on a signed note (models.py).
    ProgressNote.objects.filter(
        author=clinician, signed_at__isnull=False, cosigned_at__isnull=True
    ).update(cosigner=supervisor)
    return supervision


@transaction.atomic
def end_supervision(*, clinician_id: int, by: User) -> None:
    """The clinician is licensed now: notes they sign from here need no co-signature.
    Notes already signed under supervision still await it."""
    _require_admin(by)
    if not NoteSupervision.objects.filter(clinician_id=clinician_id).delete()[0]:
        raise ScheduleError(_("That therapist has no supervisor set."))
