"""Repaired: a rupture is repaired when its alert was acknowledged, a repair action was
recorded, and the pillar returned to the client's own baseline and held there for
``hold_checkins`` check-ins after the repair. A single return is mostly regression to the
mean, hence the hold. Repaired ruptures predict better outcomes (Eubanks et al. 2018,
r = .29), so the repair is worth recording.

Only alliance pillars (goal, task, bond) can be repaired this way; outcome and engagement
alerts resolve through the workflow, and safety alerts close only with a documented risk
assessment and safety plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._common import EPS, baseline, client_series, make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, AlertState, ClientHistory, Evidence, Pillar, Severity

REPAIRABLE = (Pillar.GOAL, Pillar.TASK, Pillar.BOND)


def check(history: ClientHistory, config: RuleConfig, states: Sequence[AlertState]) -> list[Alert]:
    cfg = config.repair
    alerts: list[Alert] = []
    for state in states:
        if (
            state.pillar not in REPAIRABLE
            or state.kind in (AlertKind.SAFETY, AlertKind.REPAIRED)
            or not state.acknowledged
            or state.repair_session is None
        ):
            continue
        series = client_series(history.checkins, state.pillar)
        before = [(s, v) for s, v in series if s < state.raised_session]
        base = baseline(before, cfg.baseline_checkins)
        if base is None:
            # Too little before the rupture: fall back to the first ratings of all.
            base = baseline(series, cfg.baseline_checkins)
        if base is None:
            continue
        start = max(state.raised_session, state.repair_session)
        after = [(s, v) for s, v in series if s > start]
        held = after[-cfg.hold_checkins :]
        if len(held) < cfg.hold_checkins or any(v < base - cfg.tolerance - EPS for _, v in held):
            continue
        evidence = [Evidence("checkin", f"{state.pillar.value} baseline", base)]
        evidence += [
            Evidence("checkin", state.pillar.value, v, s, base - cfg.tolerance, "at baseline")
            for s, v in held
        ]
        explanation = (
            f"The {state.kind.value} alert raised at session {state.raised_session} looks "
            f"repaired: {state.pillar.value} is back at the client's own baseline "
            f"({base:.2f}) and held for {cfg.hold_checkins} check-ins."
        )
        alerts.append(
            make_alert(AlertKind.REPAIRED, Severity.INFO, state.pillar, evidence, explanation)
        )
    return alerts
