"""The care part's contribution to a client's export and erasure (see privacy/rights.py):
the partnerships beside the account, the intakes and waiting list among the parts, and the
ending of active partnerships that comes before any erasure."""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.care import services
from alliance.care.models import Intake, MatchOffer, Partnership, WaitlistEntry


def export_account(user: User) -> dict[str, Any]:
    return {
        "partnerships": [
            {
                "id": p.pk,
                "therapist": p.therapist.name,
                "status": p.status,
                "started_at": p.started_at.isoformat(),
                "ended_at": p.ended_at.isoformat() if p.ended_at else None,
                "end_reason": p.end_reason,
            }
            for p in Partnership.objects.filter(client=user).select_related("therapist")
        ]
    }


def end_before_erasure(user: User, actor: User) -> None:
    """Erasure is one of the ways a partnership ends (care/lifecycle.py)."""
    for partnership in Partnership.objects.filter(client=user, status=Partnership.Status.ACTIVE):
        services.end_partnership(
            partnership=partnership, reason=Partnership.EndReason.CLIENT_ENDED, by=actor
        )


def export_client(user: User) -> dict[str, Any]:
    return {
        "intakes": [
            {
                "created_at": intake.created_at.isoformat(),
                "concerns": intake.concerns,
                "what_you_want_to_change": intake.change_wanted,
                "preferences": intake.preferences,
                "languages": intake.languages,
                "modality": intake.modality,
                "jurisdiction": intake.jurisdiction.code,
                "timezone": intake.timezone,
                "preferred_times": intake.preferred_times,
                "budget": str(intake.budget) if intake.budget is not None else None,
                "insurer": intake.insurer,
                "had_therapy_before": intake.had_therapy_before,
                "what_did_not_work": intake.did_not_work,
                "safety_screen": intake.screen,
            }
            for intake in Intake.objects.filter(client=user).select_related("jurisdiction")
        ],
        "matches_shown": MatchOffer.objects.filter(client=user).count(),
        "waiting_list": [
            {"joined": entry.joined_at.isoformat(), "status": entry.status}
            for entry in WaitlistEntry.objects.filter(client=user)
        ],
    }


def erase_client(user: User) -> dict[str, int]:
    """Preferences say who the client is (faith, culture, identity): blank them. The
    encrypted free text becomes unreadable when the data key is destroyed."""
    blanked = Intake.objects.filter(client=user).update(
        preferences={}, preferred_times=[], insurer="", budget=None, languages=[]
    )
    from django.utils import timezone

    left = WaitlistEntry.objects.filter(client=user, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.LEFT, ended_at=timezone.now()
    )
    return {"intakes_blanked": blanked, "waiting_list_entries_closed": left}
