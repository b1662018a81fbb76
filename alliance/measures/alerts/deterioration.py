"""Deterioration: a reliable worsening from the first score to the latest.

Reliable = at least the instrument's reliable-change threshold (Jacobson & Truax 1991;
NHS Talking Therapies PHQ-9 >= 6, GAD-7 >= 4), whatever the starting score. Always high:
feedback systems exist largely to catch these clients (Lambert et al. 2018).
"""

from __future__ import annotations

from ._change import changes
from ._common import make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, ClientHistory, Evidence, Pillar, Severity


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    evidence: list[Evidence] = []
    reasons: list[str] = []
    for change in changes(history, config):
        if not change.reliably_worse:
            continue
        evidence.append(
            Evidence(
                "outcome", f"{change.instrument} first", change.first.total, change.first.session
            )
        )
        evidence.append(
            Evidence(
                "outcome",
                f"{change.instrument} latest",
                change.latest.total,
                change.latest.session,
                change.thresholds.reliable_change,
                "reliable-change threshold (points)",
            )
        )
        reasons.append(
            f"{change.instrument} went from {change.first.total:g} to {change.latest.total:g}"
        )
    if not reasons:
        return []
    explanation = "Symptoms have reliably worsened since the start: " + "; ".join(reasons) + "."
    return [
        make_alert(AlertKind.DETERIORATION, Severity.HIGH, Pillar.OUTCOME, evidence, explanation)
    ]
