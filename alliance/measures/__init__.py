"""The measures engine: instruments as data, scoring, change statistics, trajectories, FHIR.

Pure Python (numpy, scipy, fhir.resources): it imports no Django and no other part of
Alliance, takes plain data and returns frozen dataclasses.
"""

from __future__ import annotations

from alliance.measures.instrument import Instrument
from alliance.measures.registry import all_instruments, get_instrument, instrument_ids
from alliance.measures.schema import InstrumentError
from alliance.measures.scoring import ScoreResult, ScoringError, score, score_positional

__all__ = [
    "Instrument",
    "InstrumentError",
    "ScoreResult",
    "ScoringError",
    "all_instruments",
    "get_instrument",
    "instrument_ids",
    "score",
    "score_positional",
]
