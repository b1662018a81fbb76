"""How billing answers the partnership lifecycle and the schedule's events.

A partnership's end changes nothing already owed: its charges and invoices are accounting
records and stay. What the appointments owe is settled by `charging.settle_appointment`.
"""

from __future__ import annotations

from alliance.care.lifecycle import PartnershipEnded


def keep_accounts(event: PartnershipEnded) -> None:
    """Nothing to undo: upcoming appointments are cancelled by the schedule as the
    partnership's ending (never a late cancellation), so they owe nothing."""


HANDLERS = {PartnershipEnded: keep_accounts}
