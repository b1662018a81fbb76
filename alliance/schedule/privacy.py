"""Appointments and shared session notes in a client's export; erasure revokes the client's
calendar feed. Appointment times and attendance stay as the clinical outline (see
docs/security.md); unshared progress notes are the therapist's process notes and are not
exported (45 CFR 164.524(a)(1)(i)); their text is shredded with the client's key."""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.schedule.models import Appointment, CalendarFeed, ProgressNote


def export_client(user: User) -> dict[str, Any]:
    shared_notes = ProgressNote.objects.filter(
        partnership__client=user, shared_at__isnull=False
    ).order_by("id")
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
        "shared_session_notes": [
            {
                "appointment": note.appointment_id,
                "shared_at": note.shared_at.isoformat() if note.shared_at else None,
                "text": note.text,
                "subjective": note.subjective,
                "objective": note.objective,
                "assessment": note.assessment,
                "plan": note.plan,
            }
            for note in shared_notes
        ],
    }


def erase_client(user: User) -> dict[str, int]:
    revoked, _ = CalendarFeed.objects.filter(user=user).delete()
    return {"calendar_feeds_revoked": revoked}
