"""The alliance and outcome measurements care learns from, and the clients with an open
safety alert (alliance/care/observations.py)."""

from __future__ import annotations

from alliance.checkins.models import Alert
from alliance.checkins.queries import (
    early_alliance_by_partnership,
    early_pillars_by_partnership,
    outcome_change_by_partnership,
)


def open_safety_client_ids() -> set[int]:
    return set(
        Alert.objects.filter(kind="safety", is_open=True).values_list("client_id", flat=True)
    )


__all__ = [
    "early_alliance_by_partnership",
    "early_pillars_by_partnership",
    "open_safety_client_ids",
    "outcome_change_by_partnership",
]
