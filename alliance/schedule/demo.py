"""Demo appointments: sessions from each partnership's start, with attendance,
lateness, cancellations, progress notes for the demo therapist, and endings.

The notes are free text, SOAP or DAP; most of those older than the practice's signing limit
are signed and locked (a few are left for the late list), and one signed DAP note has an
addendum.

Attendance figures are this demo's assumptions, not published rates: about 10% missed,
6% cancelled late, 8% cancelled in time, and one attended session in five starting a few
minutes late. Partnerships that ended by dropout stop attending 4–8 weeks before the end
(alliance/care/ending.py), the last sessions before that being missed.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.conf import settings

from alliance.care.models import Partnership, PlannedEnding
from alliance.core.demo import DemoContext
from alliance.core.zones import UTC, zone_named
from alliance.directory.models import AvailabilityWindow, TherapistProfile
from alliance.schedule.availability import localize
from alliance.schedule.models import Appointment, NoteAddendum, ProgressNote

LENGTH = dt.timedelta(minutes=50)
NOTES = [
    ("Reviewed the week; sleep a little better. Practised the breathing exercise together.",),
    ("Explored the argument with her sister; noticed the pattern of withdrawing.",),
    ("Set a small behavioural experiment for the week: one phone call a day.",),
    ("Low mood after work stress; agreed to keep the activity diary.",),
]
SOAP = [
    (
        "Reports fewer panic episodes (two this week).",
        "Calm, engaged; good eye contact.",
        "Progress on exposure hierarchy step 3.",
        "Continue to step 4; review in two weeks.",
    ),
    (
        "Feels stuck at work; sleeping 5 hours.",
        "Tired, speech slowed.",
        "Mood lower than last session; no safety concerns raised.",
        "Sleep hygiene plan; check PHQ-9 next session.",
    ),
]

DAP = [
    (
        "Described two arguments at work; voice steady, tearful once when speaking of her father.",
        "Anger follows feeling dismissed; she links it to her father for the first time.",
        "Notice the moment of feeling dismissed and write it down; review next session.",
    ),
    (
        "Used the breathing exercise three times this week; slept six hours most nights.",
        "Anxiety lower and more manageable; no safety concerns raised.",
        "Keep the breathing practice; begin the worry-time exercise.",
    ),
]
ADDENDUM = (
    "Late entry: the client phoned the next day to say the exercise felt too much; "
    "we agreed to halve it."
)


def _slots_for(windows: list[tuple[int, dt.time, dt.time]]) -> list[tuple[int, dt.time]]:
    """Whole-hour start times inside a therapist's weekly windows."""
    out = []
    for weekday, start, end in windows:
        hour = start.hour if start.minute == 0 else start.hour + 1
        while dt.datetime.combine(dt.date.min, dt.time(hour)) + LENGTH <= dt.datetime.combine(
            dt.date.min, end
        ):
            out.append((weekday, dt.time(hour)))
            hour += 1
            if hour > 22:
                break
    return out


def run(ctx: DemoContext) -> None:
    partnerships: list[Partnership] = ctx.shared["partnerships"]
    demo_therapist = ctx.shared["therapists"][0].pk
    free, zones = _weekly_hours(ctx)
    rows: list[Appointment] = []
    for partnership in partnerships:
        slots = free.get(partnership.therapist_id)
        if not slots:
            continue
        weekday, hour = slots.pop()  # this partnership's weekly hour, the therapist's own
        zone = zones.get(partnership.therapist_id, UTC)
        rows += _history(ctx, partnership, weekday, hour, zone, demo_therapist)
    for row in rows:
        row.modality = ctx.rng.choices(["video", "audio", "chat"], weights=[70, 20, 10])[0]
    Appointment.objects.bulk_create(rows, batch_size=1000)
    notes = _notes(ctx, rows, partnerships, demo_therapist)
    ProgressNote.objects.bulk_create(notes, batch_size=500)
    signed_dap = [n for n in notes if n.template == "dap" and n.signed_at and n.pk]
    if signed_dap:
        note = signed_dap[-1]
        NoteAddendum.objects.create(note=note, author_id=note.author_id, text=ADDENDUM)
    PlannedEnding.objects.bulk_create(_planned_endings(ctx, partnerships))
    ctx.shared["appointments"] = [
        (a.pk, a.partnership_id, a.starts_at, a.status) for a in rows if a.pk is not None
    ]


def _weekly_hours(
    ctx: DemoContext,
) -> tuple[dict[int, list[tuple[int, dt.time]]], dict[int, ZoneInfo]]:
    """Each therapist's free weekly hours (shuffled) and zone, by user id."""
    profiles = dict(TherapistProfile.objects.values_list("id", "user_id"))
    zones = {
        uid: zone_named(tz)
        for uid, tz in TherapistProfile.objects.values_list("user_id", "timezone")
    }
    windows: dict[int, list[tuple[int, dt.time, dt.time]]] = {}
    for profile_id, weekday, start, end in AvailabilityWindow.objects.values_list(
        "therapist_id", "weekday", "start", "end"
    ):
        windows.setdefault(profiles[profile_id], []).append((weekday, start, end))
    free = {uid: _slots_for(sorted(w)) for uid, w in windows.items()}
    for weekly in free.values():
        ctx.rng.shuffle(weekly)
    return free, zones


def _history(
    ctx: DemoContext,
    partnership: Partnership,
    weekday: int,
    hour: dt.time,
    zone: ZoneInfo,
    demo_therapist: int,
) -> list[Appointment]:
    """One partnership's appointments at its weekly hour, from its start to three weeks
    ahead (or its end); a dropout stops attending a month or two before it is marked."""
    rng = ctx.rng
    rows: list[Appointment] = []
    first: dt.datetime = partnership.started_at
    if partnership.therapist_id != demo_therapist:
        # Keep the seed fast: other therapists' histories start at most 12 weeks back.
        first = max(first, (partnership.ended_at or ctx.now) - dt.timedelta(weeks=12))
    day = first.astimezone(zone).date() + dt.timedelta(days=1)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    until = partnership.ended_at or ctx.now + dt.timedelta(days=21)
    stop_attending = None
    if partnership.end_reason == Partnership.EndReason.DROPOUT and partnership.ended_at:
        stop_attending = partnership.ended_at - dt.timedelta(days=rng.randint(29, 56))
    missed_streak = 0
    count = 0
    full = partnership.therapist_id == demo_therapist
    while True:
        starts_at = localize(day, hour, zone)
        count += 1
        # Weekly at first, then fortnightly (a common rhythm once work is under way).
        day += dt.timedelta(days=7 if count < 6 or full else 14)
        if starts_at is None:
            continue
        if starts_at + LENGTH > until:
            break
        if stop_attending is not None and starts_at > stop_attending:
            if missed_streak >= 2:
                break
            missed_streak += 1
            rows.append(_row(partnership, starts_at, "no_show"))
            continue
        if starts_at > ctx.now:
            rows.append(_row(partnership, starts_at, "scheduled"))
            continue
        roll = rng.random()
        if roll < 0.10:
            rows.append(_row(partnership, starts_at, "no_show", joined=True))
        elif roll < 0.16:
            rows.append(_row(partnership, starts_at, "cancelled", late=True))
        elif roll < 0.24:
            rows.append(_row(partnership, starts_at, "cancelled"))
        else:
            late = rng.randint(1, 12) if rng.random() < 0.2 else 0
            rows.append(_row(partnership, starts_at, "attended", late_minutes=late))
    return rows


def _notes(
    ctx: DemoContext, rows: list[Appointment], partnerships: list[Partnership], demo_therapist: int
) -> list[ProgressNote]:
    """Progress notes for the demo therapist's clients (encryption costs one key per client)."""
    rng = ctx.rng
    by_partnership: dict[int, Partnership] = {p.pk: p for p in partnerships}
    limit = ctx.now - dt.timedelta(hours=settings.NOTES_SIGN_WITHIN_HOURS)
    notes = []
    for appointment in rows:
        if appointment.therapist_id != demo_therapist or appointment.status != "attended":
            continue
        partnership = by_partnership[appointment.partnership_id]
        if partnership.status != Partnership.Status.ACTIVE or rng.random() < 0.3:
            continue
        note = ProgressNote(
            appointment=appointment,
            partnership=partnership,
            author_id=demo_therapist,
        )
        roll = rng.random()
        if roll < 0.3:  # written before formats were data: the SOAP columns
            note.template = "soap"
            note.subjective, note.objective, note.assessment, note.plan = rng.choice(SOAP)
        elif roll < 0.65:
            note.template = "dap"
            data, assessment, plan = rng.choice(DAP)
            note.sections = json.dumps({"data": data, "assessment": assessment, "plan": plan})
        else:
            note.template = "free"
            note.text = rng.choice(NOTES)[0]
            if rng.random() < 0.3:
                note.shared_at = appointment.ends_at
        if appointment.ends_at < limit and rng.random() < 0.9:
            note.signed_at = appointment.ends_at + dt.timedelta(hours=rng.randint(1, 48))
            note.signed_by_id = demo_therapist
        notes.append(note)
    return notes


def _planned_endings(ctx: DemoContext, partnerships: list[Partnership]) -> list[PlannedEnding]:
    """Completed partnerships had a planned ending (some clients took the follow-up), and a
    few active partnerships are winding down now."""
    rng = ctx.rng
    endings = []
    for partnership in partnerships:
        if partnership.end_reason == Partnership.EndReason.COMPLETED and partnership.ended_at:
            endings.append(
                PlannedEnding(
                    partnership=partnership,
                    planned_by_id=partnership.therapist_id,
                    last_day=partnership.ended_at.date(),
                    final_measures_requested_at=partnership.ended_at - dt.timedelta(days=21),
                    follow_up_wanted=rng.random() < 0.6,
                    follow_up_due_on=partnership.ended_at.date() + dt.timedelta(days=91),
                )
            )
        elif partnership.is_active and rng.random() < 0.05:
            endings.append(
                PlannedEnding(
                    partnership=partnership,
                    planned_by_id=partnership.therapist_id,
                    last_day=(ctx.now + dt.timedelta(days=rng.randint(14, 35))).date(),
                    final_measures_requested_at=ctx.now,
                )
            )
    return endings


def _row(
    partnership: Partnership,
    starts_at: dt.datetime,
    status: str,
    *,
    late: bool = False,
    late_minutes: int = 0,
    joined: bool = False,
) -> Appointment:
    ends_at = starts_at + LENGTH
    row = Appointment(
        partnership=partnership,
        therapist_id=partnership.therapist_id,
        client_id=partnership.client_id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        booked_by_id=partnership.client_id,
    )
    if status == "cancelled":
        row.cancelled_at = starts_at - (dt.timedelta(hours=3) if late else dt.timedelta(days=3))
        row.cancelled_by_id = partnership.client_id
        row.late_cancellation = late
    elif status == "attended":
        row.late_minutes = late_minutes
        row.client_joined_at = starts_at + dt.timedelta(minutes=late_minutes)
        row.therapist_joined_at = starts_at - dt.timedelta(minutes=2)
        row.client_left_at = row.therapist_left_at = ends_at
        row.attendance_source = Appointment.Source.CALL
        row.finished_at = row.checkin_requested_at = ends_at
    elif status == "no_show" and joined:
        row.therapist_joined_at = starts_at
        row.attendance_source = Appointment.Source.CALL
    return row


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(40, run)]
