"""Run every rule over one history."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import (
    avoidance,
    bond,
    checkpoint,
    collaboration,
    deterioration,
    no_reliable_change,
    not_on_track,
    repaired,
    safety,
)
from .config import RuleConfig
from .model import Alert, AlertState, ClientHistory

Rule = Callable[[ClientHistory, RuleConfig], list[Alert]]

# Safety first: it pre-empts everything else in the caller's handling.
RULES: tuple[Rule, ...] = (
    safety.check,
    deterioration.check,
    not_on_track.check,
    no_reliable_change.check,
    bond.check,
    collaboration.check,
    checkpoint.check,
    avoidance.check,
)


def evaluate(
    history: ClientHistory,
    config: RuleConfig | None = None,
    states: Sequence[AlertState] = (),
) -> list[Alert]:
    """All alerts for one history, highest severity first (stable within a severity).

    ``states`` are the partnership's alerts already in the workflow; when given, the repair
    rule reports which of them are repaired (kind ``repaired``)."""
    cfg = config if config is not None else RuleConfig()
    alerts = [alert for rule in RULES for alert in rule(history, cfg)]
    if states:
        alerts += repaired.check(history, cfg, states)
    alerts.sort(key=lambda a: -a.severity.rank)
    return alerts
