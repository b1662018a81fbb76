"""The "needs attention" card: one risk, its ranked reasons and their evidence.

The rules of this package no longer raise alerts of their own in the product: each becomes
the evidence of one reason on the card (``SIGNAL_KINDS``). A reason whose rule has not
fired (a bond a little below the client's baseline, not yet in the weak band) still shows
what it adds, from the number the risk model read. Safety is not a reason and never on a
card.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .budget import Budget
from .config import RuleConfig
from .engine import evaluate
from .model import AlertKind, ClientHistory, Evidence, Pillar, Severity
from .risk import HORIZON, Risk, frequency
from .texts import CLIENT_PROMPTS, REPAIR_ACTIONS, gettext_noop

# The rule whose evidence and repair suggestions stand behind each signal of the risk.
SIGNAL_KINDS: dict[str, AlertKind] = {
    "bond": AlertKind.BOND,
    "collaboration": AlertKind.COLLABORATION,
    "perspective_gap": AlertKind.COLLABORATION,
    "checkpoint": AlertKind.CHECKPOINT,
    "not_on_track": AlertKind.NOT_ON_TRACK,
    "no_reliable_change": AlertKind.NO_RELIABLE_CHANGE,
    "deterioration": AlertKind.DETERIORATION,
    "avoidance": AlertKind.AVOIDANCE,
    "fading_contact": AlertKind.AVOIDANCE,
}
# Severity of a card: high from the budget's `high_at` (twice the opening risk); three
# missed sessions are at least medium, and high once the client has had a safety alert.

MISSED_REPAIR = gettext_noop(
    "Three of the last four appointments were missed or cancelled late: reach out before "
    "the next one, ask what got in the way, and offer another time, format or pace."
)


@dataclass(frozen=True)
class Card:
    probability: float
    severity: Severity
    pillar: Pillar
    evidence: tuple[Evidence, ...]
    explanation: str
    repair_actions: tuple[str, ...]
    client_prompt: str
    session: int | None


def _plan_evidence(history: ClientHistory) -> list[Evidence]:
    """The client disagreed with the current treatment plan: evidence of collaboration on
    any card, whichever reasons the risk named (the risk model has no feature for it yet:
    its weights are fitted on simulated histories that have no plans)."""
    plan = history.plan
    if plan is None or not plan.disagreed:
        return []
    when = plan.disagreed_on.isoformat() if plan.disagreed_on else ""
    return [
        Evidence(
            "plan",
            "treatment plan",
            "client disagreed",
            None,
            None,
            f"version {plan.version}, {when}" if when else f"version {plan.version}",
            reason="collaboration",
        )
    ]


def build(
    history: ClientHistory,
    risk: Risk,
    config: RuleConfig | None = None,
    *,
    budget: Budget | None = None,
    missed_forced: bool = False,
    earlier_safety: bool = False,
) -> Card:
    """The card for this risk; ``missed_forced`` when three missed sessions opened it."""
    cfg = config if config is not None else RuleConfig()
    limits = budget if budget is not None else Budget()
    fired = {a.kind: a for a in evaluate(history, cfg) if a.kind in SIGNAL_KINDS.values()}
    evidence: list[Evidence] = []
    used: set[AlertKind] = set()
    for reason in risk.reasons:
        kind = SIGNAL_KINDS[reason.signal]
        rule = fired.get(kind)
        if rule is not None and kind not in used:
            evidence += [replace(e, reason=reason.signal) for e in rule.evidence]
            used.add(kind)
            continue
        for name, value in reason.values.items():
            evidence.append(
                Evidence("risk", name, value, risk.session or None, reason=reason.signal)
            )
    evidence += _plan_evidence(history)
    kinds = list(dict.fromkeys(SIGNAL_KINDS[r.signal] for r in risk.reasons))
    actions: list[str] = [MISSED_REPAIR] if missed_forced else []
    for kind in kinds[:2]:
        actions += [a for a in REPAIR_ACTIONS[kind] if a not in actions]
    if not actions:
        actions = list(REPAIR_ACTIONS[AlertKind.AVOIDANCE])
    high = risk.probability >= limits.high_at or (missed_forced and earlier_safety)
    n, d = frequency(risk.probability)
    names = ", ".join(r.signal.replace("_", " ") for r in risk.reasons) or "missed sessions"
    explanation = (
        f"Risk of dropping out or getting worse within {HORIZON} sessions: "
        f"{risk.probability:.0%}; about {n} in {d} clients with this risk did. "
        f"Reasons, strongest first: {names}."
    )
    if missed_forced:
        explanation += " Three of the last four appointments were missed or cancelled late."
    sessions = [e.session for e in evidence if e.session is not None]
    top = kinds[0] if kinds else AlertKind.AVOIDANCE
    return Card(
        probability=risk.probability,
        severity=Severity.HIGH if high else Severity.MEDIUM,
        pillar=risk.top_pillar or Pillar.ENGAGEMENT,
        evidence=tuple(evidence),
        explanation=explanation,
        repair_actions=tuple(actions),
        client_prompt=CLIENT_PROMPTS[top],
        session=max(sessions) if sessions else (risk.session or None),
    )
