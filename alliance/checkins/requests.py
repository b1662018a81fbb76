"""Asking for check-ins: outcome schedules, the session to rate, check-in and follow-up
requests, and the alert re-evaluation a new answer asks for (run in a task on commit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import instruments as instrument_lookup
from alliance.checkins.errors import CheckinError
from alliance.checkins.length import checkin_length
from alliance.checkins.models import CHECKIN, CheckinRequest, OutcomeSchedule
from alliance.core import mail
from alliance.notify import kinds as notify_kinds
from alliance.notify import services as notify
from alliance.schedule.queries import session_number_for_appointment


def outcome_schedule_of(partnership: Partnership) -> tuple[list[str], int]:
    """The outcome measures and their interval: the therapist's own choice for this
    partnership, else PHQ-9 and GAD-7 every OUTCOME_EVERY_N_SESSIONS (by default every
    session, as NHS Talking Therapies' session-by-session monitoring)."""
    found = OutcomeSchedule.objects.filter(partnership=partnership).first()
    if found is None:
        return ["phq9", "gad7"], int(settings.OUTCOME_EVERY_N_SESSIONS)
    return list(found.instruments), int(found.every_n_sessions)


def outcomes_due(partnership: Partnership, session_number: int) -> list[str]:
    """Outcome measures due at this session: at intake (session 1) and every n-th after."""
    wanted, every = outcome_schedule_of(partnership)
    if every < 1 or not wanted:
        return []
    return wanted if (session_number - 1) % every == 0 else []


@transaction.atomic
def set_outcome_schedule(
    *, partnership: Partnership, instruments: list[str], every_n_sessions: int, actor: User
) -> OutcomeSchedule:
    if actor.pk != partnership.therapist_id or not partnership.is_active:
        raise CheckinError(gettext("only the client's current therapist can change the schedule"))
    known = instrument_lookup.outcome_instrument_ids()
    unknown = [i for i in instruments if i not in known]
    if unknown:
        raise CheckinError(f"unknown outcome measure: {', '.join(unknown)}")
    if not 1 <= every_n_sessions <= 12:
        raise CheckinError(gettext("the interval must be between 1 and 12 sessions"))
    schedule, _ = OutcomeSchedule.objects.update_or_create(
        partnership=partnership,
        defaults={
            "instruments": list(dict.fromkeys(instruments)),
            "every_n_sessions": every_n_sessions,
            "updated_by": actor,
        },
    )
    return schedule


def _next_session_number(partnership: Partnership) -> int:
    last = (
        CheckinRequest.objects.filter(partnership=partnership)
        .order_by("-session_number")
        .values_list("session_number", flat=True)
        .first()
    )
    return int(last or 0) + 1


def _session_for_appointment(partnership: Partnership, appointment_id: int | None) -> int | None:
    """The appointment's ordinal in the partnership."""
    if appointment_id is None:
        return None
    value = session_number_for_appointment(appointment_id)
    return int(value) if value else None


@dataclass(frozen=True)
class SessionHeld:
    """An appointment that has happened, with its session number in the partnership."""

    appointment_id: int
    session_number: int
    starts_at: dt.datetime
    rated: bool  # a check-in request exists for it (open or answered)


def latest_session_held(
    partnership: Partnership, *, now: dt.datetime | None = None
) -> SessionHeld | None:
    """The partnership's latest appointment that has happened; None before the first.

    "Happened" means attended, or still scheduled but started: its start time has passed or
    the client has joined its call (attendance is often recorded later, or never for a live
    chat). Cancelled appointments (late or not) and no-shows never count. A check-in request
    for its appointment, or for its session number (an older request made without an
    appointment), means it is already rated or waiting to be.
    """
    from alliance.schedule.models import Appointment
    from alliance.schedule.queries import session_numbers

    now = now or timezone.now()
    scheduled = Q(status=Appointment.Status.SCHEDULED) & (
        Q(starts_at__lte=now) | Q(client_joined_at__isnull=False)
    )
    found = (
        Appointment.objects.filter(partnership=partnership)
        .filter(Q(status=Appointment.Status.ATTENDED) | scheduled)
        .order_by("-starts_at", "-id")
        .values_list("pk", "starts_at")
        .first()
    )
    if found is None:
        return None
    appointment_id, starts_at = found
    number = session_numbers([partnership.pk])[appointment_id]
    rated = CheckinRequest.objects.filter(
        Q(appointment_id=appointment_id) | Q(session_number=number), partnership=partnership
    ).exists()
    return SessionHeld(appointment_id, number, starts_at, rated)


def session_to_rate(
    partnership: Partnership, *, now: dt.datetime | None = None
) -> SessionHeld | None:
    """The session a client may start rating now: the latest one held, if not yet rated."""
    held = latest_session_held(partnership, now=now)
    return held if held is not None and not held.rated else None


@transaction.atomic
def request_checkin(
    *,
    partnership: Partnership,
    appointment_id: int | None = None,
    started_by: User | None = None,
) -> CheckinRequest:
    """Ask the client to rate a session (and answer the outcome measures when due).

    Idempotent per appointment; without an appointment an open on-demand request is reused.
    The e-mail to the client is sent on commit and carries no clinical content.

    `started_by` is the client or therapist who asks now, from a page (the schedule and the
    partnership's ending pass nobody). It rates the latest session held (`session_to_rate`),
    and only once one has happened and is not yet rated; otherwise `CheckinError`, and
    nothing is created. A client who starts their own check-in is on its page already and
    gets no e-mail; a therapist's request e-mails the client.
    """
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if not locked.is_active:
        raise CheckinError(gettext("this partnership has ended"))
    existing = CheckinRequest.objects.filter(partnership=locked)
    notify = True
    if started_by is not None:
        if started_by.pk == locked.client_id:
            notify = False
        elif started_by.pk != locked.therapist_id:
            raise CheckinError(gettext("you cannot ask for a check-in in this partnership"))
        waiting = existing.filter(completed_at__isnull=True).order_by("-session_number").first()
        if waiting is not None:
            return waiting  # one check-in at a time: finish the one already asked
        held = latest_session_held(locked)
        if held is None:
            raise CheckinError(
                gettext("No session has happened yet: a session can be rated once it has started.")
            )
        if held.rated:
            raise CheckinError(
                gettext(
                    "The latest session has already been rated; the next one can be rated "
                    "once it has started."
                )
            )
        appointment_id = held.appointment_id
    if appointment_id is not None:
        found = existing.filter(appointment_id=appointment_id).first()
    else:
        found = existing.filter(appointment_id__isnull=True, completed_at__isnull=True).first()
    if found is not None:
        return found
    session = _session_for_appointment(locked, appointment_id)
    if session is None or existing.filter(session_number=session).exists():
        session = _next_session_number(locked)
    request = CheckinRequest.objects.create(
        partnership=locked,
        appointment_id=appointment_id,
        session_number=session,
        instruments=[CHECKIN, *outcomes_due(locked, session)],
        created_at=timezone.now(),
    )
    request_id = request.pk
    if notify:
        transaction.on_commit(lambda: _mail_checkin_request(request_id))
    return request


def is_follow_up(request: CheckinRequest, partnership: Partnership) -> bool:
    """A request made after the partnership ended: the follow-up check after a planned ending."""
    return partnership.ended_at is not None and request.created_at >= partnership.ended_at


@transaction.atomic
def request_follow_up(*, partnership: Partnership) -> CheckinRequest:
    """The follow-up check some months after a planned ending: the outcome measures only,
    so that gains kept after therapy are visible. Idempotent while one is unanswered."""
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if locked.is_active or locked.ended_at is None:
        raise CheckinError("a follow-up is for a partnership that has ended")
    open_follow_up = CheckinRequest.objects.filter(
        partnership=locked, created_at__gte=locked.ended_at, completed_at__isnull=True
    ).first()
    if open_follow_up is not None:
        return open_follow_up
    instruments, _every = outcome_schedule_of(locked)
    request = CheckinRequest.objects.create(
        partnership=locked,
        appointment_id=None,
        session_number=_next_session_number(locked),
        instruments=list(instruments),
        created_at=timezone.now(),
    )
    request_id = request.pk
    transaction.on_commit(lambda: _mail_checkin_request(request_id))
    return request


def _mail_checkin_request(request_id: int) -> None:
    request = CheckinRequest.objects.select_related("partnership__client").get(pk=request_id)
    client = request.partnership.client
    link = mail.link("checkins:fill", request.pk)
    length = checkin_length(list(request.instruments))
    follow_up = is_follow_up(request, request.partnership)

    def compose() -> tuple[str, str]:
        # In the client's own language (this runs outside their request). The length is what
        # this request asks, so "under a minute" is said only when it is true.
        if follow_up:
            question = gettext("How have you been since your therapy ended?")
        else:
            question = gettext("How did your last session go?")
        if length.under_a_minute:
            how_long = gettext("A short check-in takes under a minute:")
            subject = gettext("A one-minute check-in")
        else:
            how_long = ngettext(
                "This check-in has one part, %(questions)s questions, and takes about "
                "%(minutes)s minutes:",
                "This check-in has %(parts)s short parts, %(questions)s questions, and takes "
                "about %(minutes)s minutes:",
                len(length.parts),
            ) % {
                "parts": len(length.parts),
                "questions": length.questions,
                "minutes": length.minutes,
            }
            subject = gettext("A short check-in (about %(minutes)s minutes)") % {
                "minutes": length.minutes
            }
        body = "\n".join(
            [
                gettext("Hello %(name)s,") % {"name": client.name},
                "",
                f"{question} {how_long}",
                link,
                "",
                gettext("Your answers go to your therapist only."),
                "",
            ]
        )
        return subject, body

    # E-mail as before; push or a text by the client's choice, never what is asked.
    notify.send(
        client,
        notify_kinds.CHECKIN,
        key=f"checkin:{request.pk}",
        link=link,
        email=notify.Email(compose=compose),
    )


def request_alert_evaluation(*, partnership_id: int) -> None:
    """Enqueue the incremental alert evaluation on commit; once per transaction however
    often it is called (the task itself is idempotent, so a repeat would be harmless)."""
    from alliance.checkins.tasks import evaluate_alerts

    def enqueue() -> None:
        evaluate_alerts.enqueue(partnership_id)

    enqueue.alliance_alert_eval = partnership_id  # type: ignore[attr-defined]
    if not connection.in_atomic_block:
        enqueue()
        return
    for entry in connection.run_on_commit:
        if getattr(entry[1], "alliance_alert_eval", None) == partnership_id:
            return
    transaction.on_commit(enqueue)
