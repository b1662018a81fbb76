"""No reliable change: a client who started at caseness shows neither reliable improvement
nor reliable deterioration by ``no_change_after_session``.

Only clients at caseness at their first score count (NHS Talking Therapies: PHQ-9 > 9 or
GAD-7 > 7); below caseness there is little room for a reliable drop. Reliable
deterioration is left to the deterioration rule. Medium severity.
"""

from __future__ import annotations

from ._change import changes
from ._common import make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, ClientHistory, Evidence, Pillar, Severity


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    after = config.outcome.no_change_after_session
    evidence: list[Evidence] = []
    reasons: list[str] = []
    for change in changes(history, config):
        if (
            not change.started_at_caseness
            or change.latest.session < after
            or change.reliably_better
            or change.reliably_worse
        ):
            continue
        evidence.append(
            Evidence(
                "outcome",
                f"{change.instrument} first",
                change.first.total,
                change.first.session,
                change.thresholds.caseness_at,
                "at caseness",
            )
        )
        evidence.append(
            Evidence(
                "outcome",
                f"{change.instrument} latest",
                change.latest.total,
                change.latest.session,
                change.thresholds.reliable_change,
                "change below the reliable-change threshold",
            )
        )
        reasons.append(
            f"{change.instrument} {change.first.total:g} → {change.latest.total:g} "
            f"by session {change.latest.session}"
        )
    if not reasons:
        return []
    explanation = (
        "No reliable change yet for a client who started at caseness: " + "; ".join(reasons) + "."
    )
    return [
        make_alert(
            AlertKind.NO_RELIABLE_CHANGE, Severity.MEDIUM, Pillar.OUTCOME, evidence, explanation
        )
    ]
