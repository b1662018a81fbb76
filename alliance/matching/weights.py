"""The one place where the matching weights live.

Every score component is put on an effect-size scale (client-level SDs of session-3
alliance) before weighting, so a weight reads as "how many SDs of predicted alliance one
unit of this feature is worth". The defaults are fixed from the literature, not tuned;
`learn.refit` replaces them only when held-out fit improves.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPONENTS: tuple[str, ...] = (
    "preference",
    "specialty",
    "alliance",
    "outcome",
    "load",
    "switch_reason",
)


@dataclass(frozen=True)
class Weights:
    """Weights of the score components; `version` is stored with every match shown."""

    version: str = "2025.1-literature"
    # Full accommodation of the client's nice-to-have preferences: Swift et al. 2018 (53
    # studies, > 16,000 clients) found outcome d = 0.28 for accommodated preferences.
    preference: float = 0.28
    # Self-declared specialties are weak evidence next to a measured record; kept small so a
    # measured record dominates (Constantino et al. 2021 matched on measured effectiveness).
    specialty: float = 0.10
    # The therapist's shrunk early-alliance advantage in the client's domains, already in SDs:
    # therapist variability in alliance matters for outcome (Del Re et al. 2012).
    alliance: float = 1.0
    # The therapist's shrunk risk-adjusted outcome advantage in the client's domains, in SDs
    # (Constantino et al. 2021); half weight because the engine predicts alliance first.
    outcome: float = 0.5
    # Free share of the caseload: spreads new clients so nobody is overloaded.
    load: float = 0.05
    # After a switch for a pillar reason, the shrunk record on that pillar (bond, goals, tasks).
    switch_reason: float = 1.0

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            if getattr(self, name) < 0:
                raise ValueError(f"weight {name} must be >= 0 so reasons stay positive")

    def vector(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in COMPONENTS)


DEFAULT_WEIGHTS = Weights()
