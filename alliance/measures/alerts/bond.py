"""Bond: the client feels misunderstood, judged or unconnected.

Fires when the client's latest bond rating is in the weak band (at or below the practice's
low percentile, ``BondConfig.weak_at_or_below``), or has dropped from the client's own
baseline by ``drop`` or more. Alliance ratings have strong ceiling effects, so from a
baseline at the ceiling a smaller drop (``ceiling_drop``) already counts: a client who
always gave top marks and now does not is telling you something.
"""

from __future__ import annotations

from ._common import EPS, baseline, client_series, make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, ClientHistory, Evidence, Pillar, Severity


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    cfg = config.bond
    series = client_series(history.checkins, Pillar.BOND)
    if not series:
        return []
    session, latest = series[-1]
    evidence: list[Evidence] = []
    reasons: list[str] = []
    if latest <= cfg.weak_at_or_below:
        evidence.append(
            Evidence("checkin", "bond", latest, session, cfg.weak_at_or_below, "in the weak band")
        )
        reasons.append(f"the latest bond rating ({latest:.2f}) is in the practice's weak band")
    base = baseline(series, cfg.baseline_checkins)
    if base is not None:
        limit = cfg.ceiling_drop if base >= cfg.ceiling_at else cfg.drop
        if base - latest >= limit - EPS:
            note = "drop from the ceiling" if base >= cfg.ceiling_at else "drop from baseline"
            evidence.append(Evidence("checkin", "bond baseline", base, None, None, note))
            evidence.append(Evidence("checkin", "bond", latest, session, base - limit, note))
            reasons.append(
                f"bond fell from the client's own baseline {base:.2f} to {latest:.2f}"
                + (
                    " (ratings near the ceiling make even a small drop informative)"
                    if base >= cfg.ceiling_at
                    else ""
                )
            )
    if not reasons:
        return []
    severity = Severity.HIGH if len(reasons) > 1 else Severity.MEDIUM
    explanation = (
        "The client may be feeling misunderstood, judged or less connected: "
        + "; ".join(reasons)
        + "."
    )
    return [make_alert(AlertKind.BOND, severity, Pillar.BOND, evidence, explanation)]
