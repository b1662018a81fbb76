"""Collaboration: goal or task agreement is low or falling, goals were never co-agreed, or
client and therapist see the alliance differently.

Signals (each documented in ``CollaborationConfig``):

* the latest goal or task rating is in its weak band (practice percentile, prior 0.6);
* goal or task fell from the client's own baseline by ``drop`` or more;
* goals not co-agreed by ``goals_agreed_by_session`` (Bordin's agreement on goals);
* on the latest check-in rated by both, client and therapist differ by
  ``perspective_gap`` or more on a subscale (therapists often miss ruptures clients report).

One signal is medium, two or more high. The pillar is goal or task, whichever carries
the first signal (the subscale with the largest gap for a perspective gap alone).
"""

from __future__ import annotations

from ._common import EPS, baseline, client_series, make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, ClientHistory, Evidence, Pillar, Severity

PILLARS = (Pillar.GOAL, Pillar.TASK, Pillar.BOND)


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    cfg = config.collaboration
    evidence: list[Evidence] = []
    reasons: list[str] = []
    pillars: list[Pillar] = []
    weak = {Pillar.GOAL: cfg.goal_weak_at_or_below, Pillar.TASK: cfg.task_weak_at_or_below}
    for pillar, weak_at in weak.items():
        series = client_series(history.checkins, pillar)
        if not series:
            continue
        session, latest = series[-1]
        if latest <= weak_at:
            evidence.append(
                Evidence("checkin", pillar.value, latest, session, weak_at, "weak band")
            )
            reasons.append(f"{pillar.value} agreement is low ({latest:.2f})")
            pillars.append(pillar)
        base = baseline(series, cfg.baseline_checkins)
        if base is not None and base - latest >= cfg.drop - EPS:
            evidence.append(
                Evidence("checkin", pillar.value, latest, session, base, "drop from baseline")
            )
            reasons.append(f"{pillar.value} agreement fell from {base:.2f} to {latest:.2f}")
            pillars.append(pillar)
    goals = history.goals
    if (
        goals is not None
        and not goals.co_agreed
        and goals.sessions_since_start >= cfg.goals_agreed_by_session
    ):
        evidence.append(
            Evidence(
                "goals",
                "goals co-agreed",
                "no",
                goals.sessions_since_start,
                cfg.goals_agreed_by_session,
                "sessions since start",
            )
        )
        reasons.append(f"goals are not yet agreed after {goals.sessions_since_start} sessions")
        pillars.append(Pillar.GOAL)
    gap = _perspective_gap(history, cfg.perspective_gap)
    if gap is not None:
        session, pillar, client, therapist = gap
        evidence.append(
            Evidence(
                "checkin",
                f"{pillar.value} gap (therapist - client)",
                therapist - client,
                session,
                cfg.perspective_gap,
                f"client {client:.2f}, therapist {therapist:.2f}",
            )
        )
        reasons.append(
            f"the client rates {pillar.value} at {client:.2f} and you at {therapist:.2f}"
        )
        pillars.append(pillar)
    if not reasons:
        return []
    severity = Severity.HIGH if len(reasons) > 1 else Severity.MEDIUM
    explanation = "Collaboration may be faltering: " + "; ".join(reasons) + "."
    return [make_alert(AlertKind.COLLABORATION, severity, pillars[0], evidence, explanation)]


def _perspective_gap(
    history: ClientHistory, threshold: float
) -> tuple[int, Pillar, float, float] | None:
    """On the latest check-in rated by both sides, the subscale with the largest gap, if it
    reaches the threshold (first of goal, task, bond on ties)."""
    for checkin in sorted(history.checkins, key=lambda c: c.session, reverse=True):
        pairs = [
            (p, c, t)
            for p in PILLARS
            if (c := checkin.client(p)) is not None and (t := checkin.therapist(p)) is not None
        ]
        if not pairs:
            continue
        best = pairs[0]
        for pair in pairs[1:]:
            if abs(pair[2] - pair[1]) > abs(best[2] - best[1]):
                best = pair
        pillar, client, therapist = best
        if abs(therapist - client) >= threshold - EPS:
            return checkin.session, pillar, client, therapist
        return None
    return None
