"""How the journal answers the partnership lifecycle (care/lifecycle.py).

The journal is the client's own: nothing in it changes when a partnership ends. Entries
shared in that partnership stay shared with it only, so the former therapist, who loses
access to the partnership (care/queries.py), no longer reads them, and the next therapist
does not see them unless the client shares them again. Notebooks assigned in it stay
readable to the client as they were.
"""

from __future__ import annotations

from alliance.care.lifecycle import PartnershipEnded


def keep_the_clients_journal(event: PartnershipEnded) -> None:
    """The client's journal is kept unchanged (see the module's docstring)."""


HANDLERS = {PartnershipEnded: keep_the_clients_journal}
