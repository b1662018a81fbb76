"""Safety: PHQ-9 item 9 above 0 at any total, a positive intake safety screen, or crisis
language in a message or shared journal text. Always critical; nothing mutes it.

A positive item 9 has a low positive predictive value for a suicide attempt (Simon et
al. 2013, Psychiatric Services): it starts a structured risk assessment and a safety plan
(Stanley & Brown 2012); it is not by itself a verdict of imminent risk. Crisis language is
found by a rule-based detector (``crisis_language``); private journal text never reaches
this rule.
"""

from __future__ import annotations

from ._common import make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, ClientHistory, Evidence, Pillar, Severity


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    evidence: list[Evidence] = []
    reasons: list[str] = []
    positives = [
        p
        for p in sorted(history.outcomes, key=lambda o: o.session)
        if p.item9 is not None and p.item9 > 0
    ]
    for point in positives:
        evidence.append(
            Evidence(
                "outcome",
                f"{point.instrument} item 9",
                point.item9,
                point.session,
                0,
                f"total {point.total:g}",
            )
        )
    if positives:
        reasons.append(
            "the client reported thoughts of being better off dead or of self-harm (PHQ-9 item 9)"
        )
    if history.intake_screen_positive:
        evidence.append(Evidence("intake", "safety screen", "positive"))
        reasons.append("the intake safety screen was positive")
    for flag in history.crisis_flags:
        evidence.append(
            Evidence("crisis_language", flag.source.value, ", ".join(flag.phrases), flag.session)
        )
    if history.crisis_flags:
        reasons.append("crisis language was found in a message or shared text")
    if not reasons:
        return []
    explanation = (
        "Safety: " + "; ".join(reasons) + ". Start a structured risk assessment; this is a "
        "reason to ask, not a verdict of imminent risk."
    )
    return [make_alert(AlertKind.SAFETY, Severity.CRITICAL, Pillar.SAFETY, evidence, explanation)]
