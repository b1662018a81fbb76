"""Appointments and shared session notes in a client's export; erasure revokes the client's
calendar feed. Appointment times and attendance stay as the clinical outline (see
docs/security.md); unshared progress notes are the therapist's process notes and are not
exported (45 CFR 164.524(a)(1)(i)); their text is shredded with the client's key.

A shared note is exported as the client saw it: its format, its sections with their labels
(older notes' free text or SOAP columns read as those formats' sections), when it was
signed, and every addendum under it."""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.schedule import note_queries
from alliance.schedule.models import Appointment, CalendarFeed, ProgressNote


def _shared_note(note: ProgressNote) -> dict[str, Any]:
    fmt = note_queries.format_for(note.template, include_retired=True)
    return {
        "appointment": note.appointment_id,
        "shared_at": note.shared_at.isoformat() if note.shared_at else None,
        "template": note.template,
        "template_name": fmt.name if fmt else note.template,
        "sections": [
            {"label": section.label, "text": section.text}
            for section in note_queries.shown_sections(note)
        ],
        "signed_at": note.signed_at.isoformat() if note.signed_at else None,
        "addenda": [
            {"created_at": addendum.created_at.isoformat(), "text": addendum.text}
            for addendum in note.addenda.all()
        ],
    }


def export_client(user: User) -> dict[str, Any]:
    shared_notes = (
        ProgressNote.objects.filter(partnership__client=user, shared_at__isnull=False)
        .prefetch_related("addenda")
        .order_by("id")
    )
    return {
        "appointments": [
            {
                "partnership": a.partnership_id,
                "starts_at": a.starts_at.isoformat(),
                "ends_at": a.ends_at.isoformat(),
                "modality": a.modality,
                "status": a.status,
                "late_cancellation": a.late_cancellation,
                "late_minutes": a.late_minutes,
            }
            for a in Appointment.objects.filter(client=user).order_by("starts_at")
        ],
        "shared_session_notes": [_shared_note(note) for note in shared_notes],
    }


def erase_client(user: User) -> dict[str, int]:
    revoked, _ = CalendarFeed.objects.filter(user=user).delete()
    return {"calendar_feeds_revoked": revoked}
