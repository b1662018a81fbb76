"""Fetch side of the alliance monitor: build the engine's `ClientHistory` per partnership.

"Fetch, then calculate": a handful of queries for any number of partnerships, then the pure
rules in `alliance.measures.alerts`. Only current scores count: a corrected response is
kept but superseded (`Response.objects.current()`), so a session has one score per
instrument and respondent. Signals of other parts are read through optional
provider functions, imported only when the part provides them, so every rule whose source
is missing simply stays silent:

- `alliance.schedule.queries.attendance_for_alerts(partnership_ids)
  -> dict[int, list[AttendanceEvent]]`
- `alliance.conversations.queries.message_weeks_for_alerts(partnership_ids, *, weeks)
  -> dict[int, tuple[int, ...]]`
- `alliance.goals.queries.goals_status_for_alerts(partnership_ids) -> dict[int, GoalsStatus]`
- `alliance.records.plans.plan_status_for_alerts(partnership_ids) -> dict[int, PlanStatus]`
  (the client disagreed with the treatment plan: evidence on the attention card)
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from alliance.checkins import instruments as lookup
from alliance.checkins.models import CHECKIN, CHECKIN_THERAPIST, Response
from alliance.checkins.signals import signal
from alliance.measures.alerts import (
    AttendanceEvent,
    BondConfig,
    CheckIn,
    ClientHistory,
    CollaborationConfig,
    GoalsStatus,
    OutcomePoint,
    PlanStatus,
    RuleConfig,
    pomp,
)
from alliance.measures.alerts.model import Attendance
from alliance.measures.reliability import percentile_bands
from alliance.measures.trajectories import TrajectoryModel, fit_for_instrument
from alliance.schedule.queries import attendance_for_alerts

PILLARS = ("goal", "task", "bond")
MESSAGE_WEEKS = 8
REFIT_SECONDS = 3600
_CACHE: dict[str, tuple[tuple[Any, ...], Any]] = {}


def _cached(name: str, key: tuple[Any, ...], build: Any) -> Any:
    hit = _CACHE.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = build()
    _CACHE[name] = (key, value)
    return value


def _fingerprint(instrument_id: str) -> tuple[Any, ...]:
    """When to refit the practice-wide models: the instrument's newest response (a new
    score, and a correction, which is a new row superseding the old one) and the hour.

    The newest id is a backward scan of the primary key, so a page pays a fraction of a
    millisecond however many responses the practice has (a COUNT over them cost ~10 ms on
    the demo). A deleted response (an erased client) changes no newest id: the hour bounds
    how long the models keep it.
    """
    newest = (
        Response.objects.filter(instrument_id=instrument_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return (newest, int(time.time()) // REFIT_SECONDS)


def trajectory_model(instrument_id: str) -> TrajectoryModel | None:
    """The practice's expected-trajectory model for one outcome measure (binned by intake
    score, see docs/measures.md); refitted when responses change."""
    try:
        inst = lookup.instrument(instrument_id)
    except lookup.UnknownInstrument:
        return None
    if inst.kind != "outcome":
        return None

    def build() -> TrajectoryModel:
        rows = (
            Response.objects.current()
            .filter(instrument_id=instrument_id)
            .values_list("partnership_id", "session_number", "total")
        )
        ids, sessions, totals = _relative_sessions(list(rows))
        return fit_for_instrument(inst, (ids, sessions, totals))

    model: TrajectoryModel = _cached(f"traj:{instrument_id}", _fingerprint(instrument_id), build)
    return model


def _relative_sessions(
    rows: list[tuple[int, int, float]],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Number each partnership's measurements from its first one (the intake = 1)."""
    if not rows:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([])
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    sessions = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    totals = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    order = np.lexsort((sessions, ids))
    ids, sessions, totals = ids[order], sessions[order], totals[order]
    starts = np.r_[True, ids[1:] != ids[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(ids)), 0))
    return ids, sessions - sessions[first] + 1, totals


def rule_config() -> RuleConfig:
    """Thresholds; the weak bands of the Alliance Check-in come from the practice's own
    percentiles once 200 clients have rated (before that the documented prior applies)."""

    def build() -> RuleConfig:
        inst = lookup.instrument(CHECKIN)
        rows = list(
            Response.objects.current()
            .filter(instrument_id=CHECKIN, respondent_role="client")
            .values_list("partnership__client_id", "subscales")
        )
        weak: dict[str, float] = {}
        for pillar in PILLARS:
            sub = next(s for s in inst.subscales if s.id == pillar)
            ratings = [(c, r) for c, s in rows if (r := stored_rating(s, pillar)) is not None]
            bands = percentile_bands(inst, ratings)
            low = bands.cuts[0].below
            if bands.basis == "practice" and low is not None:
                weak[pillar] = pomp(min(max(low, sub.min), sub.max), sub.min, sub.max)
        cfg = RuleConfig()
        bond = replace(cfg.bond, weak_at_or_below=weak.get("bond", cfg.bond.weak_at_or_below))
        collab = replace(
            cfg.collaboration,
            goal_weak_at_or_below=weak.get("goal", cfg.collaboration.goal_weak_at_or_below),
            task_weak_at_or_below=weak.get("task", cfg.collaboration.task_weak_at_or_below),
        )
        assert isinstance(bond, BondConfig) and isinstance(collab, CollaborationConfig)
        return replace(cfg, bond=bond, collaboration=collab)

    config: RuleConfig = _cached("config", _fingerprint(CHECKIN), build)
    return config


def stored_rating(subscales: Any, pillar: str) -> float | None:
    """One pillar's rating of a stored check-in, or None when the row holds no number for it.

    The practice's bands read every client's ratings: a malformed row is left out of them
    rather than stopping the evaluation of the whole practice (its own partnership still
    fails, and is recorded, when its history is built)."""
    value = subscales.get(pillar) if isinstance(subscales, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _unit(inst_id: str, pillar: str, value: Any) -> float | None:
    if value is None:
        return None
    sub = next((s for s in lookup.instrument(inst_id).subscales if s.id == pillar), None)
    if sub is None:
        return None
    return pomp(min(max(float(value), sub.min), sub.max), sub.min, sub.max)


def build_histories(partnership_ids: Iterable[int]) -> dict[int, ClientHistory]:
    ids = sorted(set(partnership_ids))
    if not ids:
        return {}
    checkins: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    outcomes: dict[int, list[tuple[str, int, float, int | None, Any]]] = defaultdict(list)
    alliance_rows = (
        Response.objects.current()
        .filter(partnership_id__in=ids, instrument_id__in=(CHECKIN, CHECKIN_THERAPIST))
        .values_list(
            "partnership_id",
            "instrument_id",
            "respondent_role",
            "session_number",
            "subscales",
            "submitted_at",
        )
    )
    for pid, inst_id, role, session, subscales, at in alliance_rows:
        slot = checkins[pid].setdefault(session, {"date": at.date()})
        prefix = "therapist_" if role == "therapist" else ""
        for pillar in PILLARS:
            slot[prefix + pillar] = _unit(inst_id, pillar, (subscales or {}).get(pillar))
    # Only the PHQ-9 item 9 answer is read from the answers (the safety rule's input).
    outcome_rows = (
        Response.objects.current()
        .filter(partnership_id__in=ids)
        .exclude(instrument_id__in=(CHECKIN, CHECKIN_THERAPIST))
        .values_list(
            "partnership_id",
            "instrument_id",
            "session_number",
            "total",
            "answers__phq9_9",
            "submitted_at",
        )
    )
    for pid, inst_id, session, total, item9, at in outcome_rows:
        item9 = item9 if inst_id == "phq9" else None
        outcomes[pid].append((inst_id, session, float(total), item9, at.date()))
    verdicts = _verdicts(outcomes)
    attendance = attendance_for_alerts(ids) if ids else {}
    messages = dict(signal("messages_per_week")(ids, weeks=MESSAGE_WEEKS)) if ids else {}
    goals = dict(signal("goals_status")(ids)) if ids else {}
    plans = dict(signal("plan_status")(ids)) if ids else {}
    histories = {}
    for pid in ids:
        cis = tuple(
            CheckIn(session, **values) for session, values in sorted(checkins.get(pid, {}).items())
        )
        points = tuple(
            OutcomePoint(
                inst_id,
                session,
                total,
                item9=int(item9) if isinstance(item9, int | float) else None,
                on_track=verdicts.get((pid, inst_id, session)),
                date=date,
            )
            for inst_id, session, total, item9, date in outcomes.get(pid, [])
        )
        att: tuple[AttendanceEvent, ...] = tuple(attendance.get(pid, ()))
        rated = {c.session for c in cis if c.goal is not None or c.bond is not None}
        attended = sorted(a.session for a in att if a.status == Attendance.ATTENDED)
        # The latest attended session may still be waiting for its check-in.
        skipped = tuple(s for s in attended[:-1] if s not in rated)
        status = goals.get(pid)
        plan = plans.get(pid)
        histories[pid] = ClientHistory(
            checkins=cis,
            outcomes=points,
            attendance=att,
            messages_per_week=tuple(messages.get(pid, ())),
            skipped_checkins=skipped,
            goals=status if isinstance(status, GoalsStatus) else None,
            plan=plan if isinstance(plan, PlanStatus) else None,
        )
    return histories


def _verdicts(
    outcomes: dict[int, list[tuple[str, int, float, int | None, Any]]],
) -> dict[tuple[int, str, int], bool]:
    """On-track verdicts from the practice's expected trajectories (measures engine)."""
    out: dict[tuple[int, str, int], bool] = {}
    by_instrument: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for pid, points in outcomes.items():
        for inst_id, session, total, _item9, _date in points:
            by_instrument[inst_id].append((pid, session, total))
    for inst_id, rows in by_instrument.items():
        model = trajectory_model(inst_id)
        if model is None:
            continue
        rows.sort(key=lambda r: (r[0], r[1]))
        intake: dict[int, tuple[int, float]] = {}
        for pid, session, total in rows:
            intake.setdefault(pid, (session, total))
        x = np.array([intake[p][1] for p, _, _ in rows])
        k = np.array([s - intake[p][0] + 1 for p, s, _ in rows])
        y = np.array([t for _, _, t in rows])
        off = model.classify_arrays(x, k, y)
        for (pid, session, _), is_off in zip(rows, off, strict=True):
            out[(pid, inst_id, session)] = not bool(is_off)
    return out
