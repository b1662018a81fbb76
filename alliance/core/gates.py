"""What must be done before a client books: asked of the parts above the schedule.

A part that can hold booking back has a `gates` module with
`booking_blockers(client) -> list[Blocker]` (records: documents the client has not signed).
The schedule asks `booking_blockers` here before every new booking and refuses while any is
left, naming each and where to do it. A part whose `gates` module fails to import raises
(core/parts.py) rather than letting bookings through unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from alliance.core.parts import part_modules


@dataclass(frozen=True)
class Blocker:
    """One thing to do before booking: what, and the page where it is done."""

    label: str | Promise
    url: str


def booking_blockers(client: Any) -> list[Blocker]:
    found: list[Blocker] = []
    for module in part_modules("gates"):
        if module.__name__ != __name__:
            found.extend(module.booking_blockers(client))
    return found
