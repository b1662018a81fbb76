"""Demo data for checkins (see alliance/core/demo.py): alliance and outcome histories.

Each client gets a latent alliance z_a and an outcome propensity z_o correlated with it at
r = .28 (Flückiger et al. 2018, alliance–outcome r = .278). The Alliance Check-in sits near
the top of the scale (ceiling effects), higher and steadier for clients with a stronger
alliance; the therapist's mirrored rating tracks it, a little lower. PHQ-9 and GAD-7 start
at intake levels typical of outpatient care and follow a log-shaped decline whose size
depends on z_o: most improve, some stall, some deteriorate; partnerships that ended as
dropouts stop early. They are asked on the practice's default interval
(OUTCOME_EVERY_N_SESSIONS, every session unless configured otherwise), as live check-ins
are. Alerts are computed by the practice-wide batch recompute once every step has run
(alliance/checkins/demo_alerts.py).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from django.conf import settings

from alliance.care.models import Partnership
from alliance.checkins import demo_alerts
from alliance.checkins.models import CHECKIN, CHECKIN_THERAPIST, CheckinRequest, Response
from alliance.core.demo import DemoContext

R_ALLIANCE_OUTCOME = 0.28
MAX_SESSIONS = 12
# The demo therapist's clients have their whole weekly history (alliance/schedule/demo.py):
# their check-ins cover it, or every attended session past the twelfth would count as a
# skipped check-in (an avoidance signal) on the caseload the demo opens with.
MAX_SESSIONS_DEMO_THERAPIST = 60
NEW_DAYS = 28
WEAK_START = 2.8  # on the 0-6 item scale: below the middle
COMMENTS = [
    "We ran out of time at the end.",
    "I wish we had talked more about work.",
    "It felt a bit rushed today.",
    "Nothing, it was good.",
]


def _spread(total: int, items: int, high: int, rng: np.random.Generator) -> list[int]:
    """Item answers 0..high that add up to `total` (spread at random over the items)."""
    values = [0] * items
    left = max(0, min(total, items * high))
    while left:
        i = int(rng.integers(items))
        if values[i] < high:
            values[i] += 1
            left -= 1
    return values


def _sessions_held(partnerships: list[Partnership], now: Any) -> dict[int, int]:
    """Partnership id -> sessions the schedule numbers before `now` (its demo ran first)."""
    from django.db.models import Count

    from alliance.schedule.models import Appointment
    from alliance.schedule.queries import COUNTED

    rows = (
        Appointment.objects.filter(COUNTED, starts_at__lt=now)
        .filter(partnership_id__in=[p.pk for p in partnerships])
        .values("partnership_id")
        .annotate(n=Count("id"))
        .values_list("partnership_id", "n")
    )
    return dict(rows)


def run(ctx: DemoContext) -> None:
    rng = np.random.default_rng(ctx.seed)
    partnerships: list[Partnership] = ctx.shared.get("partnerships", [])
    if not partnerships:
        return
    demo_client_id = ctx.shared["clients"][0].pk if ctx.shared.get("clients") else None
    therapists = ctx.shared.get("therapists") or []
    demo_therapist_id = therapists[0].pk if therapists else None
    n = len(partnerships)
    z_a = rng.standard_normal(n)
    z_o = R_ALLIANCE_OUTCOME * z_a + math.sqrt(1 - R_ALLIANCE_OUTCOME**2) * rng.standard_normal(n)
    every = int(settings.OUTCOME_EVERY_N_SESSIONS)
    requests, plans = _requests(partnerships, ctx.now, rng, demo_therapist_id, every)
    CheckinRequest.objects.bulk_create(requests, batch_size=2000)
    by_key = {(r.partnership_id, r.session_number): r for r in requests}
    rows: list[Response] = []
    commented = 0
    for i, p, sessions in plans:
        base = 4.9 + 0.55 * z_a[i]
        drift = 0.03 * z_a[i]
        if p.therapist_id == demo_therapist_id and (ctx.now - p.started_at).days <= NEW_DAYS:
            # The demo therapist's new client (care/demo.py) starts with a weak alliance:
            # the session-3 checkpoint the monitor is built around.
            base, drift = WEAK_START, 0.0
        phq0 = int(np.clip(round(rng.normal(15, 4.5)), 5, 27))
        gad0 = int(np.clip(round(rng.normal(12, 4)), 3, 21))
        # Share of the intake score lost by the end: most improve (> 0), some stall (~0),
        # some deteriorate (< 0).
        gain = 0.35 + 0.3 * z_o[i]
        therapist_rates = rng.random() < 0.5
        dip = 3 if rng.random() < 0.12 else None  # an early rupture for some
        for s in range(1, sessions + 1):
            req = by_key[(p.pk, s)]
            skipped = s > 2 and z_a[i] < -1.0 and rng.random() < 0.3
            level = base + drift * s - (1.4 if dip == s else 0.0)
            if not skipped:
                answers, subs = _checkin_answers(level, rng)
                comment = ""
                if (p.client_id == demo_client_id or commented < 60) and rng.random() < 0.15:
                    comment = COMMENTS[int(rng.integers(len(COMMENTS)))]
                    commented += 1
                rows.append(_response(p, req, CHECKIN, "client", s, answers, subs, comment))
            if therapist_rates:
                rows.append(_therapist_rating(p, req, s, level, rng))
            if _outcomes_due(s, every) and not skipped:
                rows += _outcome_responses(p, req, s, (phq0, gad0), gain, rng)
    Response.objects.bulk_create(rows, batch_size=2000)
    # Alerts are computed by the last step (alliance/checkins/demo_alerts.py).


def _outcomes_due(session: int, every: int) -> bool:  # as checkins.requests.outcomes_due by default
    return (session - 1) % every == 0


def _requests(
    partnerships: list[Partnership],
    now: Any,
    rng: np.random.Generator,
    demo_therapist_id: int | None,
    every: int,
) -> tuple[list[CheckinRequest], list[tuple[int, Partnership, int]]]:
    """A weekly check-in request for each session, and (index, partnership, sessions) for
    each partnership with any."""
    requests: list[CheckinRequest] = []
    plans = []
    held = _sessions_held(partnerships, now)
    for i, p in enumerate(partnerships):
        end = p.ended_at or now
        weeks = max(0, int((end - p.started_at).days // 7))
        limit = MAX_SESSIONS_DEMO_THERAPIST if p.therapist_id == demo_therapist_id else MAX_SESSIONS
        # No more check-ins than sessions the schedule has numbered so far (a check-in for
        # "session 35" while the schedule's session 35 is next week would contradict it).
        sessions = min(limit, weeks, held.get(p.pk, weeks))
        if p.end_reason == "dropout":
            sessions = min(sessions, int(rng.integers(1, 5)))
        if sessions < 1:
            continue
        for s in range(1, sessions + 1):
            at = p.started_at + dt.timedelta(days=7 * (s - 1), hours=1)
            requests.append(
                CheckinRequest(
                    partnership=p,
                    session_number=s,
                    instruments=[CHECKIN] + (["phq9", "gad7"] if _outcomes_due(s, every) else []),
                    created_at=at,
                    completed_at=at + dt.timedelta(minutes=30),
                )
            )
        plans.append((i, p, sessions))
    return requests, plans


def _checkin_answers(
    level: float, rng: np.random.Generator
) -> tuple[dict[str, int], dict[str, float]]:
    """The client's Alliance Check-in answers around `level`, and its subscales."""
    answers = {}
    for pillar, offset in (("goal", -0.1), ("task", -0.15), ("bond", 0.1)):
        for k in (1, 2):
            v = level + offset + rng.normal(0, 0.45)
            answers[f"{pillar}_{k}"] = int(np.clip(round(v), 0, 6))
    subs = {pl: (answers[f"{pl}_1"] + answers[f"{pl}_2"]) / 2 for pl in ("goal", "task", "bond")}
    return answers, subs


def _therapist_rating(
    p: Partnership, req: CheckinRequest, s: int, level: float, rng: np.random.Generator
) -> Response:
    """The therapist's mirrored rating: it tracks the client's, a little lower."""
    t_answers = {
        key: int(np.clip(round(level - 0.3 + rng.normal(0, 0.5)), 0, 6))
        for key in ("goal_1", "goal_2", "task_1", "task_2", "bond_1", "bond_2")
    }
    t_subs = {
        pl: (t_answers[f"{pl}_1"] + t_answers[f"{pl}_2"]) / 2 for pl in ("goal", "task", "bond")
    }
    return _response(p, req, CHECKIN_THERAPIST, "therapist", s, t_answers, t_subs, "")


def _outcome_responses(
    p: Partnership,
    req: CheckinRequest,
    s: int,
    intakes: tuple[int, int],
    gain: float,
    rng: np.random.Generator,
) -> list[Response]:
    """PHQ-9 and GAD-7 at session `s`, on a log-shaped decline from their intake scores."""
    rows = []
    phq0, gad0 = intakes
    shape = min(1.0, math.log(s) / math.log(12))  # level after twelve sessions
    for inst, intake, items in (("phq9", phq0, 9), ("gad7", gad0, 7)):
        total = intake * (1 - gain * shape) + rng.normal(0, 1.5)
        total_i = int(np.clip(round(total), 0, items * 3))
        values = _spread(total_i, items, 3, rng)
        if inst == "phq9":
            values[8] = 0  # no positive item 9 in demo data: no safety alerts
            total_i = sum(values)
        answers = {f"{inst}_{k + 1}": v for k, v in enumerate(values)}
        rows.append(_response(p, req, inst, "client", s, answers, {}, "", total=total_i))
    return rows


_BANDS = {
    "phq9": (
        (4, "minimal"),
        (9, "mild"),
        (14, "moderate"),
        (19, "moderately_severe"),
        (27, "severe"),
    ),
    "gad7": ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
}


def _response(
    p: Partnership,
    req: CheckinRequest,
    instrument: str,
    role: str,
    session: int,
    answers: dict[str, int],
    subscales: dict[str, float],
    comment: str,
    *,
    total: float | None = None,
) -> Response:
    at = req.created_at + dt.timedelta(minutes=5 if role == "client" else 20)
    if total is None:
        total = sum(answers.values()) / len(answers)
    band = ""
    for upper, code in _BANDS.get(instrument, ()):
        if total <= upper:
            band = code
            break
    return Response(
        partnership=p,
        request=req,
        respondent_id=p.client_id if role == "client" else p.therapist_id,
        respondent_role=role,
        instrument_id=instrument,
        instrument_version="1",
        session_number=session,
        answers=answers,
        total=float(total),
        subscales=subscales,
        band=band,
        flags=[],
        comment=comment or None,
        submitted_at=at,
        idempotency_key=f"demo-{p.pk}-{session}-{instrument}",
    )


# When the demo runs this part (core/demo.py): the check-ins after the schedule, and the
# alerts last of all, because the rules read every other part's data.
STEPS = [(50, run), (99, demo_alerts.run)]
