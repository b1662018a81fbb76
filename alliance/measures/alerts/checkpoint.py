"""Session-3 checkpoint: is the alliance strong enough by the third session?

The alliance is readable from the third session, and early alliance (sessions 3–5)
predicts outcome (Flückiger et al. 2018, r ≈ .28). The check-in of ``session`` (or, if
skipped, the first one up to ``last_session``) is weak when the mean of the client's
goal, task and bond ratings is at or below ``weak_mean_at_or_below`` or any subscale is in
its weak band. The alert offers the therapist a repair plan and the client an easy switch.

The checkpoint describes one check-in, so it keeps firing on later evaluations with the
same ``Alert.session``; the caller raises it once per partnership.
"""

from __future__ import annotations

from ._common import make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, CheckIn, ClientHistory, Evidence, Pillar, Severity

PILLARS = (Pillar.GOAL, Pillar.TASK, Pillar.BOND)


def checkpoint_checkin(history: ClientHistory, config: RuleConfig) -> CheckIn | None:
    cfg = config.checkpoint
    for checkin in sorted(history.checkins, key=lambda c: c.session):
        if cfg.session <= checkin.session <= cfg.last_session and any(
            checkin.client(p) is not None for p in PILLARS
        ):
            return checkin
    return None


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    checkin = checkpoint_checkin(history, config)
    if checkin is None:
        return []
    weak_bands = {
        Pillar.GOAL: config.collaboration.goal_weak_at_or_below,
        Pillar.TASK: config.collaboration.task_weak_at_or_below,
        Pillar.BOND: config.bond.weak_at_or_below,
    }
    total = 0.0
    count = 0
    weakest: tuple[Pillar, float] | None = None
    evidence: list[Evidence] = []
    weak_pillars: list[Pillar] = []
    for pillar in PILLARS:
        value = checkin.client(pillar)
        if value is None:
            continue
        total = total + value
        count += 1
        if weakest is None or value < weakest[1]:
            weakest = (pillar, value)
        if value <= weak_bands[pillar]:
            weak_pillars.append(pillar)
            evidence.append(
                Evidence(
                    "checkin", pillar.value, value, checkin.session, weak_bands[pillar], "weak band"
                )
            )
    mean = total / count
    limit = config.checkpoint.weak_mean_at_or_below
    if mean > limit and not weak_pillars:
        return []
    evidence.insert(
        0, Evidence("checkin", "mean of goal, task, bond", mean, checkin.session, limit)
    )
    assert weakest is not None
    explanation = (
        f"At the session-{checkin.session} checkpoint the alliance looks weak (mean rating "
        f"{mean:.2f}; weakest: {weakest[0].value} {weakest[1]:.2f}). Early alliance predicts "
        "outcome, so now is the time for a repair plan; the client is offered an easy switch."
    )
    return [make_alert(AlertKind.CHECKPOINT, Severity.MEDIUM, weakest[0], evidence, explanation)]
