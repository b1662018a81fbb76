"""Inputs and outputs of the alert rules: one client's history in, alerts out.

Everything here is plain frozen data so the Django side can build a history from its
models in one or two queries ("fetch, then calculate") and persist the alerts it gets back.

Scales and numbering, used by every rule:

* **Session** means the ordinal of the scheduled appointment in the partnership (1, 2, 3,
  ...), counting missed ones, so a check-in, an outcome score and an attendance event that
  belong to the same appointment share one number.
* **Check-in scores** (goal, task, bond; client and therapist) are on a common 0–1 scale:
  the proportion of the subscale's possible range, ``(score - low) / (high - low)``
  (see :func:`pomp`). This lets the same thresholds serve the project's own Alliance
  Check-in and a licensed instrument a practice adds (e.g. WAI-SR subscales 4–20).
* **Outcome totals** stay on their instrument's own scale (PHQ-9 0–27, GAD-7 0–21).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum


class AlertKind(StrEnum):
    BOND = "bond"
    COLLABORATION = "collaboration"
    NOT_ON_TRACK = "not_on_track"
    NO_RELIABLE_CHANGE = "no_reliable_change"
    DETERIORATION = "deterioration"
    AVOIDANCE = "avoidance"
    CHECKPOINT = "checkpoint"
    SAFETY = "safety"
    # A safety (critical) item left blank on a form that makes it optional: raised in the
    # submitting request for the therapist to ask about, never by the rules engine.
    SAFETY_UNANSWERED = "safety_unanswered"
    REPAIRED = "repaired"
    # The one "needs attention" card of the alert budget (``risk`` and ``card``): every
    # non-safety rule above becomes one of its ranked reasons instead of an alert of its own.
    ATTENTION = "attention"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """1 (info) … 5 (critical): sort a caseload by it, highest first."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
SEVERITY_BY_RANK = {rank: severity for severity, rank in _SEVERITY_RANK.items()}


class Pillar(StrEnum):
    GOAL = "goal"
    TASK = "task"
    BOND = "bond"
    OUTCOME = "outcome"
    ENGAGEMENT = "engagement"
    SAFETY = "safety"


class Attendance(StrEnum):
    ATTENDED = "attended"
    LATE_CANCELLATION = "late_cancellation"
    NO_SHOW = "no_show"


class CrisisSource(StrEnum):
    """Where crisis language was found. Private journal text is deliberately absent: it is
    scanned only to show the client resources and never alerts anyone."""

    MESSAGE = "message"
    SHARED_TEXT = "shared_text"


def pomp(score: float, low: float, high: float) -> float:
    """Map a subscale score onto the common 0–1 scale (proportion of maximum possible)."""
    if not high > low:
        raise ValueError(f"scale range must have high > low, got {low}..{high}")
    if not low <= score <= high:
        raise ValueError(f"score {score} is outside its scale {low}..{high}")
    return (score - low) / (high - low)


def _check_unit(name: str, value: float | None, session: int) -> None:
    if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"check-in at session {session}: {name}={value} is not on the 0–1 scale")


def _check_session(what: str, session: int) -> None:
    if session < 1:
        raise ValueError(f"{what}: session must be >= 1, got {session}")


@dataclass(frozen=True)
class CheckIn:
    """One alliance check-in after an appointment; any subscale may be missing (None)."""

    session: int
    date: dt.date | None = None
    goal: float | None = None
    task: float | None = None
    bond: float | None = None
    therapist_goal: float | None = None
    therapist_task: float | None = None
    therapist_bond: float | None = None

    def __post_init__(self) -> None:
        _check_session("check-in", self.session)
        for name in ("goal", "task", "bond", "therapist_goal", "therapist_task", "therapist_bond"):
            _check_unit(name, getattr(self, name), self.session)

    def client(self, pillar: Pillar) -> float | None:
        return {Pillar.GOAL: self.goal, Pillar.TASK: self.task, Pillar.BOND: self.bond}.get(pillar)

    def therapist(self, pillar: Pillar) -> float | None:
        return {
            Pillar.GOAL: self.therapist_goal,
            Pillar.TASK: self.therapist_task,
            Pillar.BOND: self.therapist_bond,
        }.get(pillar)


@dataclass(frozen=True)
class OutcomePoint:
    """One scored outcome measure.

    ``on_track`` is the expected-trajectory verdict for this point, computed elsewhere in
    the measures engine (None when no verdict is available). ``item9`` is the PHQ-9 item 9
    answer (0–3) and None for every other instrument.
    """

    instrument: str
    session: int
    total: float
    item9: int | None = None
    on_track: bool | None = None
    date: dt.date | None = None

    def __post_init__(self) -> None:
        _check_session(f"{self.instrument} score", self.session)
        if not math.isfinite(self.total):
            raise ValueError(f"{self.instrument} at session {self.session}: total is not finite")
        if self.item9 is not None and self.item9 not in (0, 1, 2, 3):
            raise ValueError(f"{self.instrument} at session {self.session}: item 9 must be 0–3")


@dataclass(frozen=True)
class AttendanceEvent:
    session: int
    status: Attendance
    late_minutes: float = 0.0

    def __post_init__(self) -> None:
        _check_session("attendance", self.session)
        if not (math.isfinite(self.late_minutes) and self.late_minutes >= 0):
            raise ValueError(f"attendance at session {self.session}: late_minutes must be >= 0")


@dataclass(frozen=True)
class CrisisFlag:
    """Crisis language found in a message or in journal text the client chose to share."""

    source: CrisisSource
    phrases: tuple[str, ...]
    session: int | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class GoalsStatus:
    co_agreed: bool
    sessions_since_start: int


@dataclass(frozen=True)
class PlanStatus:
    """The treatment plan's current version and the client's latest answer to it:
    ``disagreed`` when the client said they do not agree (a collaboration signal: they did
    not co-agree the plan of the work, Bordin 1979), with the day they said so."""

    version: int
    disagreed: bool
    disagreed_on: dt.date | None = None


@dataclass(frozen=True)
class ClientHistory:
    """One partnership's history. Every source is optional: a rule whose source is empty
    (or None) stays silent, so Schedule, Conversations and Goals plug in as they arrive.

    ``messages_per_week`` counts the client's messages in consecutive weeks since the start.
    ``skipped_checkins`` lists sessions the client attended without rating.
    """

    checkins: tuple[CheckIn, ...] = ()
    outcomes: tuple[OutcomePoint, ...] = ()
    attendance: tuple[AttendanceEvent, ...] = ()
    messages_per_week: tuple[int, ...] = ()
    skipped_checkins: tuple[int, ...] = ()
    goals: GoalsStatus | None = None
    intake_screen_positive: bool | None = None
    crisis_flags: tuple[CrisisFlag, ...] = ()
    plan: PlanStatus | None = None

    def __post_init__(self) -> None:
        sessions = [c.session for c in self.checkins]
        if len(set(sessions)) != len(sessions):
            raise ValueError("two check-ins share a session number")
        att = [a.session for a in self.attendance]
        if len(set(att)) != len(att):
            raise ValueError("two attendance events share a session number")
        keys = [(o.instrument, o.session) for o in self.outcomes]
        if len(set(keys)) != len(keys):
            raise ValueError("two scores of one instrument share a session number")
        if any(m < 0 for m in self.messages_per_week):
            raise ValueError("message counts must be >= 0")
        for s in self.skipped_checkins:
            _check_session("skipped check-in", s)

    def sorted_checkins(self) -> list[CheckIn]:
        return sorted(self.checkins, key=lambda c: c.session)

    def instrument_series(self) -> dict[str, list[OutcomePoint]]:
        series: dict[str, list[OutcomePoint]] = {}
        for point in sorted(self.outcomes, key=lambda o: o.session):
            series.setdefault(point.instrument, []).append(point)
        return series


@dataclass(frozen=True)
class Evidence:
    """One data point behind an alert: what was seen, where, and what it was compared to."""

    source: str
    label: str
    value: float | str | None
    session: int | None = None
    reference: float | None = None
    note: str = ""
    reason: str = ""  # on a card: the signal (``risk.SIGNALS``) this row is evidence for


@dataclass(frozen=True)
class Alert:
    """What a rule raises. ``session`` is the newest session among the evidence (None when
    undated), so the caller can tell a new signal from one it has already handled.
    ``client_prompt`` is the only text meant for the client and carries no clinical label."""

    kind: AlertKind
    severity: Severity
    pillar: Pillar
    evidence: tuple[Evidence, ...]
    explanation: str
    repair_actions: tuple[str, ...]
    client_prompt: str
    session: int | None = None


@dataclass(frozen=True)
class AlertState:
    """The workflow state of an alert already raised, as the repair rule needs it.

    ``raised_session`` is the session the alert was raised at; ``repair_session`` the
    session at (or after) which a repair action was recorded, None when none was.
    """

    kind: AlertKind
    pillar: Pillar
    raised_session: int
    acknowledged: bool
    repair_session: int | None = None
