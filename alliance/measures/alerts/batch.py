"""Vectorised recompute of every alert flag for a whole practice.

Rows are partnerships, columns are sessions (column ``j`` is session ``j + 1``), NaN marks
missing data. The arithmetic mirrors the per-history rules operation for operation (same
sums, same order, same comparisons), so ``evaluate_batch`` agrees exactly with
``evaluate`` on every history that fits in the arrays; a property test holds it to that.
The repair rule needs workflow state and is not part of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._common import EPS
from .config import RuleConfig
from .model import (
    AlertKind,
    Attendance,
    AttendanceEvent,
    CheckIn,
    ClientHistory,
    CrisisFlag,
    CrisisSource,
    GoalsStatus,
    OutcomePoint,
    Severity,
)

Float = NDArray[np.float64]
Bool = NDArray[np.bool_]
Int = NDArray[np.int64]

# Attendance codes in ``BatchInput.attendance``.
NO_EVENT, ATTENDED, LATE_CANCELLATION, NO_SHOW = 0, 1, 2, 3
_CODES = {
    Attendance.ATTENDED: ATTENDED,
    Attendance.LATE_CANCELLATION: LATE_CANCELLATION,
    Attendance.NO_SHOW: NO_SHOW,
}
_STATUSES = {code: status for status, code in _CODES.items()}

# Kinds in column order of ``BatchResult.severity``.
KINDS: tuple[AlertKind, ...] = (
    AlertKind.SAFETY,
    AlertKind.DETERIORATION,
    AlertKind.NOT_ON_TRACK,
    AlertKind.NO_RELIABLE_CHANGE,
    AlertKind.BOND,
    AlertKind.COLLABORATION,
    AlertKind.CHECKPOINT,
    AlertKind.AVOIDANCE,
)
_MEDIUM, _HIGH = Severity.MEDIUM.rank, Severity.HIGH.rank


@dataclass(frozen=True)
class OutcomeArrays:
    """One instrument: totals, trajectory verdicts (1 on track, 0 off, NaN none) and, for
    PHQ-9, item 9 (NaN when not answered)."""

    total: Float
    on_track: Float
    item9: Float | None = None


@dataclass(frozen=True)
class BatchInput:
    """The practice as arrays: (P, S) per session, (P, W) per week, (P,) per partnership."""

    goal: Float
    task: Float
    bond: Float
    therapist_goal: Float
    therapist_task: Float
    therapist_bond: Float
    outcomes: Mapping[str, OutcomeArrays]
    attendance: NDArray[np.int8]
    late_minutes: Float
    skipped: Bool
    messages: Float  # weekly counts from week 1, NaN after the last week
    goals_co_agreed: Float  # 1 agreed, 0 not, NaN unknown
    goals_sessions: Int
    intake_positive: Bool
    crisis_flags: Int

    @property
    def shape(self) -> tuple[int, int]:
        p, s = self.bond.shape
        return int(p), int(s)


@dataclass(frozen=True)
class BatchResult:
    """``severity[p, k]`` is the severity rank (1 info … 5 critical) of kind ``kinds[k]``
    for partnership ``p``, or 0 when that kind does not fire."""

    kinds: tuple[AlertKind, ...]
    severity: NDArray[np.int8]

    def flags(self, kind: AlertKind) -> Bool:
        return self.severity[:, self.kinds.index(kind)] > 0

    def severity_of(self, kind: AlertKind) -> NDArray[np.int8]:
        return self.severity[:, self.kinds.index(kind)]

    def row(self, p: int) -> dict[AlertKind, Severity]:
        from .model import SEVERITY_BY_RANK

        return {
            kind: SEVERITY_BY_RANK[int(rank)]
            for kind, rank in zip(self.kinds, self.severity[p], strict=True)
            if rank > 0
        }


# -- vector helpers -------------------------------------------------------------------------


class _Series:
    """Valid-value bookkeeping for one (P, S) array, computed once and reused."""

    def __init__(self, x: Float) -> None:
        self.x = x
        self.valid = ~np.isnan(x)
        self.count = self.valid.sum(axis=1, dtype=np.int64)
        self._rank: NDArray[np.int16] | None = None
        self.rows = np.arange(x.shape[0])
        n = x.shape[1]
        self.last_idx = n - 1 - np.argmax(self.valid[:, ::-1], axis=1)
        self.last = np.where(self.count > 0, x[self.rows, self.last_idx], np.nan)

    def kth(self, k: int | Int) -> Float:
        """The k-th valid value (1-based; scalar or per row), NaN when there are fewer."""
        kk = np.asarray(k)
        if kk.ndim == 0 and int(kk) == 1:
            idx = np.argmax(self.valid, axis=1)
            return np.where(self.count > 0, self.x[self.rows, idx], np.nan)
        if self._rank is None:
            self._rank = np.cumsum(self.valid, axis=1, dtype=np.int16)
        mask = self.valid & (self._rank == (kk[:, None] if kk.ndim else kk))
        idx = np.argmax(mask, axis=1)
        return np.where(mask[self.rows, idx], self.x[self.rows, idx], np.nan)

    def baseline(self, n: int) -> Float:
        """Mean of the first n valid values, left to right; NaN without a later value."""
        acc = np.zeros(self.x.shape[0])
        for j in range(1, n + 1):
            acc = acc + self.kth(j)
        return np.where(self.count >= n + 1, acc / n, np.nan)


def _sev(count: Int, levels: Sequence[int]) -> NDArray[np.int8]:
    table = np.array([0, *levels], dtype=np.int8)
    return table[np.minimum(count, len(levels))]


# -- rules ----------------------------------------------------------------------------------


def _bond(s: _Series, config: RuleConfig) -> NDArray[np.int8]:
    cfg = config.bond
    weak = s.last <= cfg.weak_at_or_below
    base = s.baseline(cfg.baseline_checkins)
    limit = np.where(base >= cfg.ceiling_at, cfg.ceiling_drop, cfg.drop)
    drop = base - s.last >= limit - EPS
    return _sev(weak.astype(np.int64) + drop, (_MEDIUM, _HIGH))


def _collaboration(
    data: BatchInput, goal: _Series, task: _Series, config: RuleConfig
) -> NDArray[np.int8]:
    cfg = config.collaboration
    count = np.zeros(goal.x.shape[0], dtype=np.int64)
    for s, weak_at in ((goal, cfg.goal_weak_at_or_below), (task, cfg.task_weak_at_or_below)):
        count += s.last <= weak_at
        count += s.baseline(cfg.baseline_checkins) - s.last >= cfg.drop - EPS
    count += (data.goals_co_agreed == 0) & (data.goals_sessions >= cfg.goals_agreed_by_session)
    pairs = (
        (data.goal, data.therapist_goal),
        (data.task, data.therapist_task),
        (data.bond, data.therapist_bond),
    )
    paired: Bool = np.zeros(data.goal.shape, dtype=bool)
    for c, t in pairs:
        paired |= ~np.isnan(c) & ~np.isnan(t)
    any_pair = paired.any(axis=1)
    col = paired.shape[1] - 1 - np.argmax(paired[:, ::-1], axis=1)
    rows = goal.rows
    g0, g1, g2 = [np.abs(t[rows, col] - c[rows, col]) for c, t in pairs]
    latest = np.fmax(np.fmax(g0, g1), g2)
    count += any_pair & (latest >= cfg.perspective_gap - EPS)
    return _sev(count, (_MEDIUM, _HIGH))


def _checkpoint(
    goal: _Series, task: _Series, bond: _Series, config: RuleConfig
) -> NDArray[np.int8]:
    cfg = config.checkpoint
    lo, hi = cfg.session - 1, cfg.last_session
    any_valid = (goal.valid | task.valid | bond.valid)[:, lo:hi]
    if any_valid.shape[1] == 0:
        # Fewer session columns than the checkpoint session: nobody has reached it yet.
        return np.zeros(goal.rows.shape[0], dtype=np.int8)
    has = any_valid.any(axis=1)
    col = lo + np.argmax(any_valid, axis=1)
    rows = goal.rows
    total = np.zeros(rows.shape[0])
    count = np.zeros(rows.shape[0], dtype=np.int64)
    weak = np.zeros(rows.shape[0], dtype=bool)
    bands = (
        (goal, config.collaboration.goal_weak_at_or_below),
        (task, config.collaboration.task_weak_at_or_below),
        (bond, config.bond.weak_at_or_below),
    )
    for s, band in bands:
        v = s.x[rows, col]
        ok = ~np.isnan(v)
        total = total + np.where(ok, v, 0.0)
        count += ok
        weak |= v <= band
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    fires = has & ((mean <= cfg.weak_mean_at_or_below) | weak)
    return np.where(fires, np.int8(_MEDIUM), np.int8(0)).astype(np.int8)


def _outcomes(
    data: BatchInput, config: RuleConfig
) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int8], Bool]:
    p = data.bond.shape[0]
    off_any = np.zeros(p, dtype=bool)
    persistent = np.zeros(p, dtype=bool)
    worse_any = np.zeros(p, dtype=bool)
    stuck_any = np.zeros(p, dtype=bool)
    item9_any = np.zeros(p, dtype=bool)
    needed = config.outcome.consecutive_off_track
    for instrument, arrays in data.outcomes.items():
        if arrays.item9 is not None:
            item9_any |= (arrays.item9 > 0).any(axis=1)
        verdict = _Series(arrays.on_track)
        off = (verdict.count > 0) & (verdict.last == 0)
        off_any |= off
        if needed >= 1:
            run = off & (verdict.count >= needed)
            for j in range(1, needed):
                run &= verdict.kth(np.maximum(verdict.count - j, 1)) == 0
            persistent |= run
        thresholds = config.outcome.instruments.get(instrument)
        if thresholds is None:
            continue
        totals = _Series(arrays.total)
        enough = totals.count >= 2
        first = totals.kth(1)
        diff = totals.last - first
        worsening = diff if thresholds.lower_is_better else -diff
        worse = enough & (worsening >= thresholds.reliable_change)
        better = enough & (-worsening >= thresholds.reliable_change)
        if thresholds.lower_is_better:
            case = first >= thresholds.caseness_at
        else:
            case = first <= thresholds.caseness_at
        late = totals.last_idx + 1 >= config.outcome.no_change_after_session
        worse_any |= worse
        stuck_any |= enough & case & late & ~better & ~worse
    not_on_track = np.where(off_any, np.where(persistent, _HIGH, _MEDIUM), 0).astype(np.int8)
    deterioration = np.where(worse_any, np.int8(_HIGH), np.int8(0)).astype(np.int8)
    no_change = np.where(stuck_any, np.int8(_MEDIUM), np.int8(0)).astype(np.int8)
    return not_on_track, deterioration, no_change, item9_any


def _avoidance(
    data: BatchInput, goal: _Series, task: _Series, bond: _Series, config: RuleConfig
) -> NDArray[np.int8]:
    cfg = config.avoidance
    s = data.shape[1]
    engaged = (data.attendance > 0) | goal.valid | task.valid | bond.valid | data.skipped
    has: Bool = np.asarray(engaged.any(axis=1))
    latest_idx = s - 1 - np.argmax(engaged[:, ::-1], axis=1)
    in_window = (np.arange(s)[None, :] >= (latest_idx - cfg.window + 1)[:, None]) & has[:, None]
    att = data.attendance
    missed = ((att == LATE_CANCELLATION) | (att == NO_SHOW)) & in_window
    late = (att == ATTENDED) & (data.late_minutes >= cfg.late_minutes) & in_window
    skipped = data.skipped & in_window
    count = (
        (missed.sum(axis=1) >= cfg.missed).astype(np.int64)
        + (late.sum(axis=1) >= cfg.late_count)
        + (skipped.sum(axis=1) >= cfg.skipped)
    )
    weeks = _Series(data.messages)
    n = weeks.count
    if data.messages.shape[1] >= 4:
        rows = weeks.rows
        idx = np.maximum(n[:, None] - np.arange(1, 5)[None, :], 0)
        w = data.messages[rows[:, None], idx]
        recent = w[:, 0] + w[:, 1]
        earlier = w[:, 2] + w[:, 3]
        count += (
            (n >= 4) & (earlier >= cfg.fade_min_messages) & (recent <= cfg.fade_ratio * earlier)
        )
    return _sev(count, (Severity.LOW.rank, _MEDIUM, _HIGH))


def evaluate_batch(data: BatchInput, config: RuleConfig | None = None) -> BatchResult:
    """Every alert flag and severity for every partnership, as ``evaluate`` would give."""
    cfg = config if config is not None else RuleConfig()
    goal, task, bond = _Series(data.goal), _Series(data.task), _Series(data.bond)
    with np.errstate(invalid="ignore"):
        not_on_track, deterioration, no_change, item9 = _outcomes(data, cfg)
        safety = item9 | data.intake_positive | (data.crisis_flags > 0)
        columns = {
            AlertKind.SAFETY: np.where(safety, Severity.CRITICAL.rank, 0).astype(np.int8),
            AlertKind.DETERIORATION: deterioration,
            AlertKind.NOT_ON_TRACK: not_on_track,
            AlertKind.NO_RELIABLE_CHANGE: no_change,
            AlertKind.BOND: _bond(bond, cfg),
            AlertKind.COLLABORATION: _collaboration(data, goal, task, cfg),
            AlertKind.CHECKPOINT: _checkpoint(goal, task, bond, cfg),
            AlertKind.AVOIDANCE: _avoidance(data, goal, task, bond, cfg),
        }
    severity = np.stack([columns[k] for k in KINDS], axis=1).astype(np.int8)
    return BatchResult(KINDS, severity)


# -- converters -----------------------------------------------------------------------------


def to_batch(
    histories: Sequence[ClientHistory],
    *,
    sessions: int,
    weeks: int,
    instruments: Iterable[str] = (),
) -> BatchInput:
    """Pack histories into arrays of ``sessions`` columns (and ``weeks`` message weeks).
    Instruments named in ``instruments`` get arrays even when no history has them."""
    p = len(histories)
    names = list(
        dict.fromkeys([*instruments, *(o.instrument for h in histories for o in h.outcomes)])
    )

    def nan(width: int = sessions) -> Float:
        return np.full((p, width), np.nan)

    g, t, b, tg, tt, tb = nan(), nan(), nan(), nan(), nan(), nan()
    outcomes = {name: OutcomeArrays(nan(), nan(), nan()) for name in names}
    attendance = np.zeros((p, sessions), dtype=np.int8)
    late = nan()
    skipped = np.zeros((p, sessions), dtype=bool)
    messages = nan(weeks)
    co_agreed = np.full(p, np.nan)
    goals_sessions = np.zeros(p, dtype=np.int64)
    intake = np.zeros(p, dtype=bool)
    crisis = np.zeros(p, dtype=np.int64)

    for i, h in enumerate(histories):
        _put_checkins((g, t, b, tg, tt, tb), i, h, sessions)
        _put_outcomes(outcomes, i, h, sessions)
        for a in h.attendance:
            j = _column(a.session, "attendance", sessions)
            attendance[i, j] = _CODES[a.status]
            late[i, j] = a.late_minutes
        for s in h.skipped_checkins:
            skipped[i, _column(s, "skipped check-in", sessions)] = True
        if len(h.messages_per_week) > weeks:
            raise ValueError(f"{len(h.messages_per_week)} weeks of messages exceed {weeks}")
        messages[i, : len(h.messages_per_week)] = h.messages_per_week
        if h.goals is not None:
            co_agreed[i] = 1.0 if h.goals.co_agreed else 0.0
            goals_sessions[i] = h.goals.sessions_since_start
        intake[i] = bool(h.intake_screen_positive)
        crisis[i] = len(h.crisis_flags)
    return BatchInput(
        g,
        t,
        b,
        tg,
        tt,
        tb,
        outcomes,
        attendance,
        late,
        skipped,
        messages,
        co_agreed,
        goals_sessions,
        intake,
        crisis,
    )


def _column(session: int, what: str, sessions: int) -> int:
    """The array column of a (1-based) session, refusing one beyond the arrays."""
    if not 1 <= session <= sessions:
        raise ValueError(f"{what} at session {session} does not fit in {sessions} columns")
    return session - 1


def _put_checkins(
    ratings: tuple[Float, Float, Float, Float, Float, Float],
    i: int,
    h: ClientHistory,
    sessions: int,
) -> None:
    """Row ``i`` of the client (goal, task, bond) and therapist (goal, task, bond) ratings."""
    g, t, b, tg, tt, tb = ratings
    for c in h.checkins:
        j = _column(c.session, "check-in", sessions)
        for arr, v in (
            (g, c.goal),
            (t, c.task),
            (b, c.bond),
            (tg, c.therapist_goal),
            (tt, c.therapist_task),
            (tb, c.therapist_bond),
        ):
            if v is not None:
                arr[i, j] = v


def _put_outcomes(
    outcomes: Mapping[str, OutcomeArrays], i: int, h: ClientHistory, sessions: int
) -> None:
    """Row ``i`` of each instrument's totals, on-track flags and item 9 answers."""
    for o in h.outcomes:
        j = _column(o.session, f"{o.instrument} score", sessions)
        arrays = outcomes[o.instrument]
        arrays.total[i, j] = o.total
        if o.on_track is not None:
            arrays.on_track[i, j] = 1.0 if o.on_track else 0.0
        if o.item9 is not None and arrays.item9 is not None:
            arrays.item9[i, j] = o.item9


def _opt(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def history_from_row(data: BatchInput, i: int) -> ClientHistory:
    """The history of row ``i``: the inverse of ``to_batch`` (crisis flags come back as
    placeholders, one per counted flag)."""
    _, sessions = data.shape
    checkins = []
    for j in range(sessions):
        values = [
            _opt(a[i, j])
            for a in (
                data.goal,
                data.task,
                data.bond,
                data.therapist_goal,
                data.therapist_task,
                data.therapist_bond,
            )
        ]
        if any(v is not None for v in values):
            checkins.append(CheckIn(j + 1, None, *values))
    outcomes = []
    for name, arrays in data.outcomes.items():
        for j in range(sessions):
            total = arrays.total[i, j]
            if np.isnan(total):
                continue
            verdict = arrays.on_track[i, j]
            item9 = np.nan if arrays.item9 is None else arrays.item9[i, j]
            outcomes.append(
                OutcomePoint(
                    name,
                    j + 1,
                    float(total),
                    item9=None if np.isnan(item9) else int(item9),
                    on_track=None if np.isnan(verdict) else bool(verdict == 1.0),
                )
            )
    attendance = [
        AttendanceEvent(j + 1, _STATUSES[int(code)], float(np.nan_to_num(data.late_minutes[i, j])))
        for j, code in enumerate(data.attendance[i])
        if code != NO_EVENT
    ]
    weeks = data.messages[i]
    goals = None
    if not np.isnan(data.goals_co_agreed[i]):
        goals = GoalsStatus(bool(data.goals_co_agreed[i] == 1.0), int(data.goals_sessions[i]))
    return ClientHistory(
        checkins=tuple(checkins),
        outcomes=tuple(outcomes),
        attendance=tuple(attendance),
        messages_per_week=tuple(int(w) for w in weeks[~np.isnan(weeks)]),
        skipped_checkins=tuple(int(j) + 1 for j in np.flatnonzero(data.skipped[i])),
        goals=goals,
        intake_screen_positive=bool(data.intake_positive[i]),
        crisis_flags=tuple(
            CrisisFlag(CrisisSource.MESSAGE, ("(flag)",)) for _ in range(int(data.crisis_flags[i]))
        ),
    )
