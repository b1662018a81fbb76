"""Alliance-informed matching: a pure engine (no Django) over plain rows and queries.

See `index.Index` for ranking, `shrinkage` for the empirical-Bayes records, `assign` for the
waiting list and `learn` for refitting the weights.
"""

from __future__ import annotations

from alliance.matching.index import Index
from alliance.matching.results import FunnelStep, Match, Reason, SearchResult
from alliance.matching.rows import (
    ClientQuery,
    DomainRecord,
    Evidence,
    PillarRecord,
    TherapistRow,
)
from alliance.matching.weights import DEFAULT_WEIGHTS, Weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "ClientQuery",
    "DomainRecord",
    "Evidence",
    "FunnelStep",
    "Index",
    "Match",
    "PillarRecord",
    "Reason",
    "SearchResult",
    "TherapistRow",
    "Weights",
]
