"""How conversations answer the partnership lifecycle (care/lifecycle.py).

When a partnership ends its thread stays as read-only history (the services refuse new
messages: `membership.check_open`), and who may still read it follows the handoff rules of
care/queries.py: the client keeps it, the former therapist loses it at once. An open call is
closed here, so nobody can go on joining it; the call page refuses before it offers a join
button (conversations/views.py), and sockets find their access gone at their next session
check (accounts/sockets.py).
"""

from __future__ import annotations

from alliance.care.lifecycle import PartnershipEnded
from alliance.conversations.models import CallParticipant, CallSession


def close_calls(event: PartnershipEnded) -> None:
    open_calls = CallSession.objects.filter(
        partnership_id=event.partnership_id, ended_at__isnull=True
    )
    CallParticipant.objects.filter(call__in=open_calls, left_at__isnull=True).update(
        left_at=event.ended_at
    )
    open_calls.update(ended_at=event.ended_at)


HANDLERS = {PartnershipEnded: close_calls}
