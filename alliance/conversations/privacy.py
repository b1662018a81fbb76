"""Messages and calls in a client's export (see privacy/rights.py). Message text is
encrypted with the client's data key and is shredded with it on erasure; call times stay
as the clinical outline."""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.conversations.models import CallParticipant, Message


def export_client(user: User) -> dict[str, Any]:
    messages = Message.objects.filter(partnership__client=user).order_by("partnership_id", "id")
    return {
        "messages": [
            {
                "partnership": m.partnership_id,
                # Roles, not "you": the same record is read in an emergency by staff.
                "from": "client" if m.sender_id == user.pk else "therapist",
                "sent_at": m.created_at.isoformat(),
                "text": m.body,
            }
            for m in messages
        ],
        "calls": [
            {
                "partnership": p.call.partnership_id,
                "mode": p.call.mode,
                "joined_at": p.joined_at.isoformat(),
                "left_at": p.left_at.isoformat() if p.left_at else None,
                "location_confirmed": p.jurisdiction.code if p.jurisdiction else None,
            }
            for p in CallParticipant.objects.filter(user=user)
            .select_related("call", "jurisdiction")
            .order_by("joined_at")
        ],
    }
