"""How goals answer the partnership lifecycle (care/lifecycle.py).

Nothing is changed when a partnership ends, on purpose: its goals, ratings, tasks and working
agreement stay as the record of that work, read-only to the client, and the former therapist
loses access with the partnership (care/queries.py). The next therapist sees earlier goals
only if the client consented at the switch (`care.queries.handoff_allowed`), which the goal
pages ask when they show them. Goals send nothing on a timer, so nothing is left to stop.
"""

from __future__ import annotations

from alliance.care.lifecycle import PartnershipEnded


def keep_as_history(event: PartnershipEnded) -> None:
    """Goals of an ended partnership are kept unchanged (see the module's docstring)."""


HANDLERS = {PartnershipEnded: keep_as_history}
