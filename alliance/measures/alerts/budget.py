"""The alert budget: at most one "needs attention" card per client, on a share of a caseload.

A card opens when a client's risk reaches ``open_at`` and the caseload has fewer open
cards than its budget (``share`` of the active clients, at least one); it closes when the
risk falls below ``close_below``, which is lower than ``open_at`` so that a risk hovering
at the threshold does not open and close a card every week (hysteresis). Cards already open
are never displaced by newer, higher risks: a therapist who has started on a card keeps it.

Three or more missed or late-cancelled sessions in the last four appointments open a card
whatever the risk (``must_open``); it counts toward the budget like any other. A risk at
or above ``high_at`` (twice the opening risk, where a card is "high") opens a card on top
of the budget: the budget holds back marginal cards so that a caseload is not covered in
them, and must never keep a high risk waiting behind a card that is already open. Safety
alerts are not cards and are never counted, budgeted, delayed, merged or suppressed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .risk import prior_document

# Default share of a caseload that may carry an open card; a practice setting.
DEFAULT_SHARE = 0.20
# Three missed or late-cancelled sessions of the last four open a card at least "medium".
MISSED_MUST_OPEN = 3
# From this multiple of the opening risk a card is "high" and opens on top of the budget.
HIGH_FROM_RATIO = 2.0


# The thresholds are tuned with the prior (benchmarks/alerts_simulation.py) and ship with it.
_TUNED: dict[str, float] = prior_document()["budget"]  # type: ignore[assignment]


@dataclass(frozen=True)
class Budget:
    share: float = DEFAULT_SHARE
    open_at: float = _TUNED["open_at"]
    close_below: float = _TUNED["close_below"]

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"budget share must be in (0, 1], got {self.share}")
        if not 0 < self.close_below <= self.open_at < 1:
            raise ValueError("budget needs 0 < close_below <= open_at < 1")

    @property
    def high_at(self) -> float:
        """The risk from which a card is "high" and opens whatever the budget."""
        return min(HIGH_FROM_RATIO * self.open_at, 0.99)

    def cap(self, caseload: int) -> int:
        """Cards a caseload of this many active clients may carry (at least one)."""
        return max(1, math.floor(self.share * caseload + 1e-9)) if caseload else 0


def attention(
    risks: Sequence[float],
    open_now: Sequence[bool],
    budget: Budget,
    must_open: Sequence[bool] | None = None,
) -> list[bool]:
    """Which clients of one caseload carry a card after this evaluation."""
    n = len(risks)
    if len(open_now) != n or (must_open is not None and len(must_open) != n):
        raise ValueError("risks, open_now and must_open must have one entry per client")
    forced = list(must_open) if must_open is not None else [False] * n
    high = [r >= budget.high_at for r in risks]
    keep = [
        forced[i] or high[i] or (open_now[i] and risks[i] >= budget.close_below) for i in range(n)
    ]
    # High cards come on top of the budget; every other card kept uses its room.
    room = budget.cap(n) - sum(k and not h for k, h in zip(keep, high, strict=True))
    new = sorted(
        (i for i in range(n) if not keep[i] and risks[i] >= budget.open_at),
        key=lambda i: (-risks[i], i),
    )
    for i in new[: max(room, 0)]:
        keep[i] = True
    return keep
