"""What a search returns: ranked matches with their reasons, and the constraint funnel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """One plain-language reason, tied to the score component it explains."""

    component: str
    text: str
    contribution: float


@dataclass(frozen=True)
class Match:
    therapist_id: int
    score: float
    components: Mapping[str, float]
    reasons: tuple[Reason, ...]
    unmet: tuple[str, ...]
    weights_version: str


@dataclass(frozen=True)
class FunnelStep:
    """How many therapists one hard constraint eliminated, in the order applied."""

    constraint: str
    text: str
    eliminated: int
    remaining: int


@dataclass(frozen=True)
class SearchResult:
    matches: tuple[Match, ...]
    funnel: tuple[FunnelStep, ...]
    index_version: str
    weights_version: str

    @property
    def excluded_by(self) -> FunnelStep | None:
        """The constraint that left nobody, so the UI can say it and offer the waiting list."""
        for step in self.funnel:
            if step.remaining == 0:
                return step
        return None
