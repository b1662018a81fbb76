"""How the schedule answers the partnership lifecycle (care/lifecycle.py).

When a partnership ends, its upcoming appointments are cancelled through the schedule's own
cancel, so both people get the notice with a calendar cancellation (METHOD:CANCEL, the same
UID, a higher SEQUENCE); reminders already queued find the partnership ended and send
nothing (schedule/tasks.py), and the private calendar feed lists active partnerships only.
A planned ending's follow-up is care's (care/ending.py), not the schedule's.
"""

from __future__ import annotations

from alliance.care.lifecycle import PartnershipEnded
from alliance.schedule import services


def cancel_upcoming(event: PartnershipEnded) -> None:
    services.cancel_for_ending(
        partnership_id=event.partnership_id, by_id=event.by_id, now=event.ended_at
    )


HANDLERS = {PartnershipEnded: cancel_upcoming}
