"""First-to-latest change per outcome instrument, shared by the deterioration and
no-reliable-change rules.

Reliable change follows Jacobson & Truax 1991 expressed as a points threshold per
instrument (``InstrumentThresholds.reliable_change``; NHS Talking Therapies: PHQ-9 >= 6,
GAD-7 >= 4). The sign is oriented so a positive ``worsening`` is always worse.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import InstrumentThresholds, RuleConfig
from .model import ClientHistory, OutcomePoint


@dataclass(frozen=True)
class Change:
    instrument: str
    first: OutcomePoint
    latest: OutcomePoint
    thresholds: InstrumentThresholds

    @property
    def worsening(self) -> float:
        diff = self.latest.total - self.first.total
        return diff if self.thresholds.lower_is_better else -diff

    @property
    def reliably_worse(self) -> bool:
        return self.worsening >= self.thresholds.reliable_change

    @property
    def reliably_better(self) -> bool:
        return -self.worsening >= self.thresholds.reliable_change

    @property
    def started_at_caseness(self) -> bool:
        t = self.thresholds
        first = self.first.total
        return first >= t.caseness_at if t.lower_is_better else first <= t.caseness_at


def changes(history: ClientHistory, config: RuleConfig) -> list[Change]:
    """One entry per configured instrument with at least two scores, in instrument order
    of the configuration."""
    series = history.instrument_series()
    out: list[Change] = []
    for instrument, thresholds in config.outcome.instruments.items():
        points = series.get(instrument, [])
        if len(points) >= 2:
            out.append(Change(instrument, points[0], points[-1], thresholds))
    return out
