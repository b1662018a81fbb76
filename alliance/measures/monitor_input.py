"""Reading `alliance monitor`'s input: a caseload as JSON, checked field by field.

Every problem raises ``InputError`` naming where it is (``clients[1].checkins[0].bond``)
and what is wrong; nothing is guessed or dropped. The format is in ``docs/alerts.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alliance.measures.alerts.budget import Budget
from alliance.measures.alerts.model import (
    Attendance,
    AttendanceEvent,
    CheckIn,
    ClientHistory,
    CrisisFlag,
    CrisisSource,
    GoalsStatus,
    OutcomePoint,
)
from alliance.measures.registry import get_instrument, instrument_ids

PROG = "alliance monitor"
EXIT_BAD_INPUT = 2
# Bounds that keep the arrays small: a thousand weekly sessions is about twenty years.
MAX_SESSION = 1000
MAX_WEEKS = 1000

_TOP_KEYS = ("budget", "clients")
_BUDGET_KEYS = ("share", "open_at", "close_below")
_CLIENT_KEYS = (
    "id",
    "open",
    "checkins",
    "outcomes",
    "attendance",
    "messages_per_week",
    "skipped_checkins",
    "goals",
    "crisis_flags",
    "intake_screen_positive",
)
_RATINGS = ("goal", "task", "bond", "therapist_goal", "therapist_task", "therapist_bond")
_CHECKIN_KEYS = ("session", *_RATINGS)
_OUTCOME_KEYS = ("instrument", "session", "total", "on_track", "item9")
_ATTENDANCE_KEYS = ("session", "status", "late_minutes")
_GOALS_KEYS = ("co_agreed", "sessions_since_start")
_CRISIS_KEYS = ("source", "phrases", "session")


class InputError(Exception):
    """A problem with the input file, and where in it (a path such as ``clients[1].id``)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True)
class Client:
    id: str | int
    history: ClientHistory
    open: bool = False


@dataclass(frozen=True)
class Caseload:
    clients: tuple[Client, ...]
    budget: Budget


# -- reading ----------------------------------------------------------------------------------


class _Object(dict[str, Any]):
    """A JSON object that remembers a key given twice (json keeps only the last)."""

    duplicate: str | None = None


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.duplicate is None:
            obj.duplicate = key
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in JSON")


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _wrong(where: str, expected: str, value: object) -> InputError:
    return InputError(where, f"wrong type: expected {expected}, got {_type_name(value)}")


def _obj(
    value: object, where: str, keys: Sequence[str], required: Sequence[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _wrong(where, "an object", value)
    if isinstance(value, _Object) and value.duplicate is not None:
        raise InputError(where, f"key {value.duplicate!r} is given twice")
    for key in value:
        if key not in keys:
            raise InputError(where, f"unknown key {key!r} (expected one of: {', '.join(keys)})")
    for key in required:
        if key not in value:
            raise InputError(where, f"missing {key!r}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _wrong(where, "a list", value)
    return value


def _bool(value: object, where: str, *, nullable: bool = False) -> bool | None:
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise _wrong(where, "true or false" + (" or null" if nullable else ""), value)
    return value


def _int(value: object, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(where, "a whole number", value)
    if value < minimum:
        raise InputError(where, f"must be {minimum} or more, got {value}")
    return value


def _session(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(where, "a session number (a whole number from 1)", value)
    if value < 1:
        raise InputError(where, f"session {value} is not a session number (they start at 1)")
    if value > MAX_SESSION:
        raise InputError(where, f"session {value} is beyond the last one read, {MAX_SESSION}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(where, "a number", value)
    if not math.isfinite(value):
        raise InputError(where, f"{value} is not a finite number")
    return float(value)


def _rating(value: object, where: str) -> float | None:
    if value is None:
        return None
    number = _number(value, where)
    if not 0.0 <= number <= 1.0:
        raise InputError(where, f"{_show(value)} is not on the 0–1 scale")
    return number


def _unique_sessions(sessions: Sequence[int], where: str, label: str) -> None:
    seen: dict[int, int] = {}
    for i, session in enumerate(sessions):
        if session in seen:
            raise InputError(
                f"{where}[{i}]", f"session {session} appears twice (also {label}[{seen[session]}])"
            )
        seen[session] = i


def _checkins(value: object, where: str) -> tuple[CheckIn, ...]:
    out = []
    for i, item in enumerate(_list(value, where)):
        at = f"{where}[{i}]"
        row = _obj(item, at, _CHECKIN_KEYS, ("session",))
        session = _session(row["session"], f"{at}.session")
        goal, task, bond, t_goal, t_task, t_bond = (
            _rating(row.get(name), f"{at}.{name}") for name in _RATINGS
        )
        out.append(CheckIn(session, None, goal, task, bond, t_goal, t_task, t_bond))
    _unique_sessions([c.session for c in out], where, "checkins")
    return tuple(out)


def _outcomes(value: object, where: str) -> tuple[OutcomePoint, ...]:
    known = instrument_ids()
    out: list[OutcomePoint] = []
    seen: dict[tuple[str, int], int] = {}
    for i, item in enumerate(_list(value, where)):
        at = f"{where}[{i}]"
        row = _obj(item, at, _OUTCOME_KEYS, ("instrument", "session", "total"))
        name = row["instrument"]
        if not isinstance(name, str):
            raise _wrong(f"{at}.instrument", "an instrument id", name)
        if name not in known:
            raise InputError(
                f"{at}.instrument", f"unknown instrument {name!r} (known: {', '.join(known)})"
            )
        session = _session(row["session"], f"{at}.session")
        total = _number(row["total"], f"{at}.total")
        instrument = get_instrument(name)
        if not instrument.total_min <= total <= instrument.total_max:
            raise InputError(
                f"{at}.total",
                f"{_show(row['total'])} is outside the {instrument.short_name} range "
                f"{instrument.total_min:g}–{instrument.total_max:g}",
            )
        on_track = _bool(row.get("on_track"), f"{at}.on_track", nullable=True)
        item9 = row.get("item9")
        if item9 is not None:
            if name != "phq9":
                raise InputError(f"{at}.item9", f"item 9 belongs to the PHQ-9, not to {name}")
            if isinstance(item9, bool) or item9 not in (0, 1, 2, 3):
                raise InputError(f"{at}.item9", f"{_show(item9)} is not an item 9 answer (0–3)")
            item9 = int(item9)
        if (name, session) in seen:
            raise InputError(
                f"{at}.session",
                f"a second {name} score at session {session} "
                f"(also outcomes[{seen[name, session]}])",
            )
        seen[name, session] = i
        out.append(OutcomePoint(name, session, total, item9=item9, on_track=on_track))
    return tuple(out)


def _attendance(value: object, where: str) -> tuple[AttendanceEvent, ...]:
    statuses = [s.value for s in Attendance]
    out = []
    for i, item in enumerate(_list(value, where)):
        at = f"{where}[{i}]"
        row = _obj(item, at, _ATTENDANCE_KEYS, ("session", "status"))
        session = _session(row["session"], f"{at}.session")
        status = row["status"]
        if status not in statuses:
            raise InputError(
                f"{at}.status",
                f"unknown attendance status {_show(status)} (expected one of: "
                + ", ".join(statuses)
                + ")",
            )
        late = _number(row.get("late_minutes", 0), f"{at}.late_minutes")
        if late < 0:
            raise InputError(f"{at}.late_minutes", f"must be 0 or more, got {_show(late)}")
        out.append(AttendanceEvent(session, Attendance(status), late))
    _unique_sessions([a.session for a in out], where, "attendance")
    return tuple(out)


def _skipped(
    value: object,
    where: str,
    checkins: Sequence[CheckIn],
    attendance: Sequence[AttendanceEvent],
) -> tuple[int, ...]:
    out = tuple(_session(s, f"{where}[{i}]") for i, s in enumerate(_list(value, where)))
    _unique_sessions(out, where, "skipped_checkins")
    rated = {c.session for c in checkins}
    status = {a.session: a.status for a in attendance}
    for i, session in enumerate(out):
        if session in rated:
            raise InputError(
                f"{where}[{i}]",
                f"session {session} has a check-in; a skipped check-in is an attended "
                "session without one",
            )
        if status.get(session, Attendance.ATTENDED) != Attendance.ATTENDED:
            raise InputError(
                f"{where}[{i}]",
                f"session {session} was not attended ({status[session].value}); a skipped "
                "check-in is an attended session without one",
            )
    return out


def _crisis_flags(value: object, where: str) -> tuple[CrisisFlag, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        count = _int(value, where, minimum=0)
        if count > MAX_WEEKS:
            raise InputError(where, f"more than {MAX_WEEKS} crisis flags")
        return tuple(CrisisFlag(CrisisSource.MESSAGE, ()) for _ in range(count))
    if not isinstance(value, list):
        raise _wrong(where, "a count or a list of flags", value)
    sources = [s.value for s in CrisisSource]
    out = []
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        row = _obj(item, at, _CRISIS_KEYS, ("source",))
        if row["source"] not in sources:
            raise InputError(
                f"{at}.source",
                f"unknown source {_show(row['source'])} (expected one of: {', '.join(sources)})",
            )
        phrases = _list(row.get("phrases", []), f"{at}.phrases")
        for j, phrase in enumerate(phrases):
            if not isinstance(phrase, str):
                raise _wrong(f"{at}.phrases[{j}]", "a string", phrase)
        session = row.get("session")
        out.append(
            CrisisFlag(
                CrisisSource(row["source"]),
                tuple(phrases),
                None if session is None else _session(session, f"{at}.session"),
            )
        )
    return tuple(out)


def _client(value: object, where: str) -> Client:
    row = _obj(value, where, _CLIENT_KEYS, ("id",))
    ident = row["id"]
    if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
        raise _wrong(f"{where}.id", "a non-empty string or a whole number", ident)
    checkins = _checkins(row.get("checkins", []), f"{where}.checkins")
    attendance = _attendance(row.get("attendance", []), f"{where}.attendance")
    weeks = _list(row.get("messages_per_week", []), f"{where}.messages_per_week")
    if len(weeks) > MAX_WEEKS:
        raise InputError(f"{where}.messages_per_week", f"more than {MAX_WEEKS} weeks")
    messages = tuple(
        _int(m, f"{where}.messages_per_week[{i}]", minimum=0) for i, m in enumerate(weeks)
    )
    goals = None
    if row.get("goals") is not None:
        g = _obj(row["goals"], f"{where}.goals", _GOALS_KEYS, _GOALS_KEYS)
        goals = GoalsStatus(
            bool(_bool(g["co_agreed"], f"{where}.goals.co_agreed")),
            _int(g["sessions_since_start"], f"{where}.goals.sessions_since_start", minimum=0),
        )
    outcomes = _outcomes(row.get("outcomes", []), f"{where}.outcomes")
    skipped = _skipped(
        row.get("skipped_checkins", []), f"{where}.skipped_checkins", checkins, attendance
    )
    intake = _bool(
        row.get("intake_screen_positive"), f"{where}.intake_screen_positive", nullable=True
    )
    crisis = _crisis_flags(row.get("crisis_flags", 0), f"{where}.crisis_flags")
    try:
        history = ClientHistory(
            checkins=checkins,
            outcomes=outcomes,
            attendance=attendance,
            messages_per_week=messages,
            skipped_checkins=skipped,
            goals=goals,
            intake_screen_positive=intake,
            crisis_flags=crisis,
        )
    except ValueError as exc:  # anything the checks above missed, as the engine says it
        raise InputError(where, str(exc)) from None
    return Client(ident, history, bool(_bool(row.get("open", False), f"{where}.open")))


def _budget(value: object, share: float | None) -> Budget:
    row = _obj(value, "budget", _BUDGET_KEYS)
    given = {key: _number(row[key], f"budget.{key}") for key in _BUDGET_KEYS if key in row}
    if share is not None:
        try:
            Budget(share=share)
        except ValueError as exc:
            raise InputError("--share", str(exc)) from None
        given["share"] = share
    try:
        return Budget(**given)
    except ValueError as exc:
        raise InputError("budget", str(exc)) from None


def parse_caseload(text: str, *, share: float | None = None, source: str = "input") -> Caseload:
    """The caseload in a monitor file; ``share`` overrides the file's budget share.
    ``source`` names the file in messages about the document as a whole."""
    try:
        document = json.loads(
            text, object_pairs_hook=_object_pairs, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # NaN or Infinity, which JSON does not have
        raise InputError(source, f"not valid JSON: {exc}") from None
    top = _obj(document, source, _TOP_KEYS, ("clients",))
    clients = tuple(
        _client(c, f"clients[{i}]") for i, c in enumerate(_list(top["clients"], "clients"))
    )
    seen: dict[str | int, int] = {}
    for i, client in enumerate(clients):
        if client.id in seen:
            raise InputError(
                f"clients[{i}].id",
                f"id {_show(client.id)} is used twice (also clients[{seen[client.id]}])",
            )
        seen[client.id] = i
    return Caseload(clients, _budget(top.get("budget", {}), share))
