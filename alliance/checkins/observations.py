"""The alliance and outcome measurements care learns from (alliance/care/observations.py)."""

from __future__ import annotations

from alliance.checkins.queries import (
    early_alliance_by_partnership,
    early_pillars_by_partnership,
    outcome_change_by_partnership,
)

__all__ = [
    "early_alliance_by_partnership",
    "early_pillars_by_partnership",
    "outcome_change_by_partnership",
]
