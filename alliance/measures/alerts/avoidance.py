"""Avoidance: missed or late appointments, skipped check-ins and fading messages.

These are behavioural counterparts of withdrawal ruptures (Safran & Muran; the 3RS
withdrawal markers, Eubanks, Muran & Safran 2015): the client moves away from the work
instead of saying it is not working. Ruptures that go unaddressed predict dropout.

Within the last ``window`` appointment ordinals up to the latest known one (from
attendance, check-ins and skipped check-ins), the signals are: ``missed`` or more late
cancellations and no-shows; ``late_count`` or more attended appointments at least
``late_minutes`` late; ``skipped`` or more attended appointments without a rating. From the
weekly message counts: the last two weeks together at most ``fade_ratio`` of the two weeks
before, when those had at least ``fade_min_messages``. One signal is low, two medium,
three or more high.
"""

from __future__ import annotations

from ._common import make_alert, severity_by_count
from .config import RuleConfig
from .model import Alert, AlertKind, Attendance, ClientHistory, Evidence, Pillar, Severity


def latest_engagement_session(history: ClientHistory) -> int | None:
    """The latest session the client showed up in the data: attended or missed, rated, or
    attended without rating."""
    sessions = [a.session for a in history.attendance]
    sessions += [
        c.session for c in history.checkins if any(v is not None for v in (c.goal, c.task, c.bond))
    ]
    sessions += list(history.skipped_checkins)
    return max(sessions) if sessions else None


def check(history: ClientHistory, config: RuleConfig) -> list[Alert]:
    cfg = config.avoidance
    evidence: list[Evidence] = []
    reasons: list[str] = []
    latest = latest_engagement_session(history)
    if latest is not None:
        first = latest - cfg.window + 1
        events = [a for a in history.attendance if a.session >= first]
        missed = [a for a in events if a.status is not Attendance.ATTENDED]
        if len(missed) >= cfg.missed:
            for a in sorted(missed, key=lambda a: a.session):
                evidence.append(Evidence("attendance", a.status.value, a.status.value, a.session))
            reasons.append(f"{len(missed)} late cancellations or no-shows recently")
        late = [
            a
            for a in events
            if a.status is Attendance.ATTENDED and a.late_minutes >= cfg.late_minutes
        ]
        if len(late) >= cfg.late_count:
            for a in sorted(late, key=lambda a: a.session):
                evidence.append(
                    Evidence(
                        "attendance", "late minutes", a.late_minutes, a.session, cfg.late_minutes
                    )
                )
            reasons.append(f"{len(late)} late arrivals recently")
        skipped = sorted(s for s in set(history.skipped_checkins) if s >= first)
        if len(skipped) >= cfg.skipped:
            for s in skipped:
                evidence.append(Evidence("checkin", "skipped check-in", "skipped", s))
            reasons.append(f"{len(skipped)} check-ins skipped recently")
    weeks = history.messages_per_week
    if len(weeks) >= 4:
        recent = weeks[-1] + weeks[-2]
        earlier = weeks[-3] + weeks[-4]
        if earlier >= cfg.fade_min_messages and recent <= cfg.fade_ratio * earlier:
            evidence.append(
                Evidence(
                    "messages",
                    "messages in the last two weeks",
                    recent,
                    None,
                    earlier,
                    "messages in the two weeks before",
                )
            )
            reasons.append(f"messages fell from {earlier} to {recent} per fortnight")
    if not reasons:
        return []
    severity = severity_by_count(len(reasons), (Severity.LOW, Severity.MEDIUM, Severity.HIGH))
    explanation = (
        "The client may be pulling away from therapy: " + "; ".join(reasons) + ". "
        "Avoidance is often how a client shows that something in the work does not fit."
    )
    return [make_alert(AlertKind.AVOIDANCE, severity, Pillar.ENGAGEMENT, evidence, explanation)]
