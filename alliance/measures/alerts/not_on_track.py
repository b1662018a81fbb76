"""Not on track: the latest outcome score is off its expected trajectory.

The verdict per point comes from the measures engine's expected trajectories (in the
manner of the OQ system's expected recovery curves and OpenFIT's expected treatment
response); this rule only reads it. Medium when the latest verdict is off track, high
when the last ``consecutive_off_track`` verdicts all are. Feedback helps not-on-track
clients most when paired with clinical support tools (Barkham et al. 2023, g ≈ .36–.53).
"""

from __future__ import annotations

from ._common import make_alert
from .config import RuleConfig
from .model import Alert, AlertKind, ClientHistory, Evidence, Pillar, Severity


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    needed = config.outcome.consecutive_off_track
    evidence: list[Evidence] = []
    reasons: list[str] = []
    persistent = False
    for instrument, points in history.instrument_series().items():
        judged = [p for p in points if p.on_track is not None]
        if not judged or judged[-1].on_track:
            continue
        latest = judged[-1]
        evidence.append(
            Evidence(
                "outcome",
                f"{instrument} total",
                latest.total,
                latest.session,
                None,
                "off the expected trajectory",
            )
        )
        reasons.append(f"{instrument} {latest.total:g} at session {latest.session}")
        if len(judged) >= needed and not any(p.on_track for p in judged[-needed:]):
            persistent = True
    if not reasons:
        return []
    severity = Severity.HIGH if persistent else Severity.MEDIUM
    explanation = (
        "Progress is behind what is expected for clients who started at a similar score: "
        + "; ".join(reasons)
        + ("; off track for several measurements in a row" if persistent else "")
        + "."
    )
    return [make_alert(AlertKind.NOT_ON_TRACK, severity, Pillar.OUTCOME, evidence, explanation)]
