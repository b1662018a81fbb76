"""Goals, tasks and working agreements in a client's export (see privacy/rights.py).

All their free text is encrypted with the client's data key, so erasure needs nothing here:
destroying the key makes it unreadable; dates and ratings stay as the clinical outline.
"""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.goals.models import Goal, Task, WorkingAgreement


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_client(user: User) -> dict[str, Any]:
    goals = Goal.objects.filter(partnership__client=user).prefetch_related("ratings").order_by("id")
    return {
        "goals": [
            {
                "partnership": goal.partnership_id,
                "title": goal.title,
                "description": goal.description,
                "proposed_by": goal.proposed_by_side,
                "status": goal.status,
                "agreed_by_client_at": _iso(goal.agreed_by_client_at),
                "agreed_by_therapist_at": _iso(goal.agreed_by_therapist_at),
                "created_at": _iso(goal.created_at),
                "ratings": [
                    {
                        "value": r.value,
                        "by": r.rated_by_side,
                        "note": r.note,
                        "at": _iso(r.rated_at),
                    }
                    for r in goal.ratings.all()
                ],
            }
            for goal in goals
        ],
        "tasks": [
            {
                "partnership": task.partnership_id,
                "title": task.title,
                "status": task.status,
                "due_on": _iso(task.due_on),
                "reflection": task.reflection,
            }
            for task in Task.objects.filter(partnership__client=user).order_by("id")
        ],
        "working_agreements": [
            {
                "partnership": a.partnership_id,
                "by": a.author_side,
                "created_at": _iso(a.created_at),
                "what_helps_me_feel_connected": a.connected,
                "what_creates_distance": a.distance,
                "communication": a.communication,
                "session_structure": a.session_structure,
                "feedback": a.feedback,
                "therapist_response": a.therapist_response,
            }
            for a in WorkingAgreement.objects.filter(partnership__client=user).order_by("id")
        ],
    }
