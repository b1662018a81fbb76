"""Writes of the check-in flow: requests, responses, outcome schedules, alert workflow.

Safety is evaluated in the same request that stores a response (`submit_response` calls
`safety.raise_safety_alert` before it returns); the other alert rules run in a task
enqueued on commit (`request_alert_evaluation`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import instruments as instrument_lookup
from alliance.checkins.models import (
    CHECKIN,
    CHECKIN_THERAPIST,
    Alert,
    AlertEvent,
    CheckinRequest,
    OutcomeSchedule,
    Response,
    SafetyAssessment,
)
from alliance.checkins.safety import crisis_phrases, raise_safety_alert
from alliance.measures.alerts.model import AlertKind, Pillar, Severity
from alliance.measures.alerts.texts import CLIENT_PROMPTS, REPAIR_ACTIONS
from alliance.measures.schema import Instrument
from alliance.measures.scoring import ScoringError, score
from alliance.privacy import audit

NOTE_MAX_CHARS = 5_000
COMMENT_MAX_CHARS = 2_000


class CheckinError(ValueError):
    """Bad input to a check-in service; the message is safe to show."""


# --- requests and schedules ----------------------------------------------------------------


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
    """The appointment's ordinal in the partnership, when the schedule part tells it."""
    if appointment_id is None:
        return None
    provider = optional_provider("alliance.schedule.queries", "session_number_for_appointment")
    if provider is None:
        return None
    value = provider(appointment_id)
    return int(value) if value else None


def optional_provider(module: str, name: str) -> Any:
    """A function another part may provide; None when that part (or function) is absent."""
    import importlib
    import importlib.util

    try:
        if importlib.util.find_spec(module) is None:
            return None
    except ModuleNotFoundError:
        return None
    return getattr(importlib.import_module(module), name, None)


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


# How long a check-in takes, as the client is told it: SECONDS_PER_QUESTION for each question
# with answers to choose (optional comment boxes are not counted). This is an assumption for
# honest wording, not a measured figure: the 6 check-in questions come to 30 s ("under a
# minute"), a check-in with PHQ-9 and GAD-7 (6 + 10 + 7 questions) to 115 s ("about 2 minutes").
SECONDS_PER_QUESTION = 5


@dataclass(frozen=True)
class CheckinLength:
    """Questions per part (one part per questionnaire, in the order asked)."""

    parts: tuple[int, ...]

    @property
    def questions(self) -> int:
        return sum(self.parts)

    @property
    def seconds(self) -> int:
        return self.questions * SECONDS_PER_QUESTION

    @property
    def under_a_minute(self) -> bool:
        return self.seconds < 60

    @property
    def minutes(self) -> int:
        """Rounded up past each whole minute: 60 to 119 seconds is "about 2 minutes" (so a
        longer check-in is never "about 1 minutes", and never promised shorter than it is)."""
        return self.seconds // 60 + 1

    def sentence(self) -> str:
        """How long today's check-in takes, in the reader's language."""
        if self.under_a_minute:
            return ngettext(
                "Today's check-in has one question and takes under a minute.",
                "Today's check-in has %(questions)s questions and takes under a minute.",
                self.questions,
            ) % {"questions": self.questions}
        # Past a minute there are at least 12 questions and 2 minutes: plural in English and
        # Spanish; only the number of parts can be one.
        return ngettext(
            "Today's check-in has one part, %(questions)s questions, about %(minutes)s minutes.",
            "Today's check-in has %(parts)s short parts, %(questions)s questions, about "
            "%(minutes)s minutes.",
            len(self.parts),
        ) % {"parts": len(self.parts), "questions": self.questions, "minutes": self.minutes}


def checkin_length(instrument_ids: list[str]) -> CheckinLength:
    """The length of a check-in asking these questionnaires, from their item counts."""
    parts = []
    for instrument_id in instrument_ids:
        try:
            inst = instrument_lookup.instrument(instrument_id)
        except instrument_lookup.UnknownInstrument:
            continue
        parts.append(sum(1 for item in inst.items if item.kind != "text"))
    return CheckinLength(tuple(parts))


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
    link = settings.SITE_URL.rstrip("/") + reverse("checkins:fill", args=[request.pk])
    length = checkin_length(list(request.instruments))
    # In the client's own language (this runs outside their request). The length is what
    # this request asks, so "under a minute" is said only when it is true.
    with translation.override(client.preferred_language or settings.LANGUAGE_CODE):
        if is_follow_up(request, request.partnership):
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
    send_mail(subject, body, None, [client.email])


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


# --- responses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    response: Response
    created: bool
    safety_alert: Alert | None
    crisis: bool  # show the crisis panel now


def _allowed(instrument_id: str, role: str, request: CheckinRequest | None) -> bool:
    if role == "therapist":
        return instrument_id == CHECKIN_THERAPIST
    if instrument_id == CHECKIN:
        return True
    if request is not None:
        return instrument_id in request.instruments
    return instrument_id in instrument_lookup.outcome_instrument_ids()


@transaction.atomic
def submit_response(
    *,
    partnership: Partnership,
    respondent: User,
    instrument_id: str,
    answers: dict[str, Any],
    request: CheckinRequest | None = None,
    idempotency_key: str | None = None,
) -> Submitted:
    """Score and store one questionnaire; evaluate safety in this same transaction.

    Submitting twice (same idempotency key, or the same request and instrument) stores once.
    Bad input raises `CheckinError` and stores nothing.
    """
    if respondent.pk == partnership.client_id:
        role = Response.Role.CLIENT
    elif respondent.pk == partnership.therapist_id and partnership.is_active:
        role = Response.Role.THERAPIST
    else:
        raise CheckinError(gettext("you cannot answer for this partnership"))
    if not partnership.is_active and not (
        role == Response.Role.CLIENT and request is not None and is_follow_up(request, partnership)
    ):
        raise CheckinError(gettext("this partnership has ended"))
    if request is not None and request.partnership_id != partnership.pk:
        raise CheckinError(gettext("this check-in belongs to another partnership"))
    key = (idempotency_key or "").strip()[:64] or uuid.uuid4().hex
    prior = Response.objects.filter(respondent=respondent, idempotency_key=key).first()
    if prior is None and request is not None:
        prior = Response.objects.filter(
            request=request, instrument_id=instrument_id, respondent=respondent
        ).first()
    if prior is not None:
        return Submitted(prior, False, None, False)
    if not _allowed(instrument_id, role, request):
        raise CheckinError(f"the measure {instrument_id!r} is not asked here")
    try:
        inst = instrument_lookup.instrument(instrument_id)
    except instrument_lookup.UnknownInstrument as exc:
        raise CheckinError(str(exc)) from exc
    comment, scored_answers = _checked_answers(inst, answers)
    try:
        result = score(inst, scored_answers)
    except ScoringError as exc:
        raise CheckinError(str(exc)) from exc
    _require_answers(inst, scored_answers)
    session = request.session_number if request is not None else _latest_session(partnership)
    now = timezone.now()
    row = {
        "partnership": partnership,
        "request": request,
        "respondent": respondent,
        "respondent_role": role,
        "instrument_id": inst.id,
        "instrument_version": inst.version,
        "session_number": session,
        "answers": {k: v for k, v in result.answers.items() if not isinstance(v, str)},
        "total": float(result.total),
        "subscales": {k: float(v) for k, v in result.subscales.items()},
        "band": result.band or "",
        "flags": list(result.flags),
        # A blank safety item is never a silent gap: the total is marked prorated too.
        "prorated": result.prorated or bool(result.critical_missing),
        "critical_missing": list(result.critical_missing),
        "comment": comment or None,
        "submitted_at": now,
        "idempotency_key": key,
    }
    stored = _store(row, key=key)
    if isinstance(stored, Submitted):
        return stored
    response, corrected = stored
    if corrected is not None:
        audit.record(respondent, audit.Action.CORRECT_SCORE, corrected, reason=f"by {response.pk}")
    alert = None
    crisis = False
    for critical in inst.critical_items:
        if critical.flag not in result.flags:
            continue
        # Synchronous, in this request (never only a task): Simon et al. 2013 — a positive
        # item 9 starts a structured risk assessment. Any critical item of any instrument
        # (a practice's own included) takes this path; the evidence names the item as the
        # form asked it, not by the shipped PHQ-9's id.
        alert = raise_safety_alert(
            client=partnership.client,
            partnership=partnership,
            source=_safety_source(critical.flag),
            evidence={
                "response_id": response.pk,
                "instrument": inst.id,
                **_critical_evidence(
                    inst, critical.item, result.answers.get(critical.item), flag=critical.flag
                ),
                "total": float(result.total),
                "session": session,
            },
            actor=respondent,
        )
        crisis = True
    if result.critical_missing and role == Response.Role.CLIENT:
        _raise_unanswered(partnership, inst, response, list(result.critical_missing), now)
    if comment and role == Response.Role.CLIENT:
        phrases = crisis_phrases(comment)
        if phrases:
            alert = raise_safety_alert(
                client=partnership.client,
                partnership=partnership,
                source="checkin_comment",
                evidence={"response_id": response.pk, "phrases": list(phrases), "session": session},
                actor=respondent,
            )
            crisis = True
    if request is not None and role == Response.Role.CLIENT:
        _complete_if_done(request, now)
    request_alert_evaluation(partnership_id=partnership.pk)
    return Submitted(response, True, alert, crisis)


def _checked_answers(inst: Instrument, answers: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The comment and the scored answers, or `CheckinError` naming the item.

    Stricter than the engine's scoring, which also scores paper forms: every item the form
    requires must be answered (so a safety item is never prorated away unasked), a choice of
    whole numbers takes a whole number (not `true`, not `2.0`), and text is text.
    """
    comment = ""
    scored: dict[str, Any] = {}
    for item_id, value in answers.items():
        try:
            item = inst.item(item_id)
        except KeyError:
            raise CheckinError(f"item {item_id!r}: unknown item") from None
        if item.kind == "text":
            if value is not None and not isinstance(value, str):
                raise CheckinError(f"item {item_id!r}: the answer must be text")
            text = (value or "").strip()
            if len(text) > COMMENT_MAX_CHARS:
                raise CheckinError(
                    f"item {item_id!r}: at most {COMMENT_MAX_CHARS} characters, please"
                )
            comment = text
            continue
        whole = all(float(v).is_integer() for v in item.values) if item.kind == "choice" else False
        if whole and value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            allowed = ", ".join(str(int(v)) for v in item.values)
            raise CheckinError(
                f"item {item_id!r}: the answer must be one of {allowed}, got {value!r:.40}"
            )
        scored[item_id] = value
    return comment, scored


def _require_answers(inst: Instrument, scored: dict[str, Any]) -> None:
    missing = [
        i.id for i in inst.items if i.required and i.kind != "text" and scored.get(i.id) is None
    ]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise CheckinError(
            ngettext(
                "item %(items)s: an answer is required",
                "items %(items)s: an answer is required for each",
                len(missing),
            )
            % {"items": names}
        )


def _store(row: dict[str, Any], *, key: str) -> tuple[Response, Response | None] | Submitted:
    """Insert the response; a second score of the instrument for the same respondent and
    session is a correction: the earlier row is kept, marked superseded by the new one.

    Returns (response, corrected row or None), or the `Submitted` of a concurrent double
    submit that stored first.
    """
    for _attempt in range(2):
        try:
            with transaction.atomic():
                earlier = (
                    Response.objects.current()
                    .select_for_update()
                    .filter(
                        partnership=row["partnership"],
                        instrument_id=row["instrument_id"],
                        respondent=row["respondent"],
                        session_number=row["session_number"],
                    )
                    .first()
                )
                if earlier is not None:
                    earlier.superseded_at = row["submitted_at"]
                    earlier.save(update_fields=["superseded_at"])
                response = Response.objects.create(**row)
                if earlier is not None:
                    earlier.superseded_by = response
                    earlier.save(update_fields=["superseded_by"])
                return response, earlier
        except IntegrityError:
            # A concurrent double submit won the race: return what it stored.
            existing = Response.objects.filter(
                respondent=row["respondent"], idempotency_key=key
            ).first()
            if existing is None and row["request"] is not None:
                existing = Response.objects.filter(
                    request=row["request"],
                    instrument_id=row["instrument_id"],
                    respondent=row["respondent"],
                ).first()
            if existing is not None:
                return Submitted(existing, False, None, False)
            # Otherwise another submission for this session was stored meanwhile:
            # try once more, as a correction of it.
    raise CheckinError(gettext("this questionnaire was being saved twice at once; please retry"))


def _safety_source(flag: str) -> str:
    return "phq9_item9" if flag == "phq9_item9" else "critical_item"


def _critical_evidence(inst: Instrument, item_id: str, value: Any, *, flag: str) -> dict[str, Any]:
    """The critical item as the form asked it: its position, id and the chosen answer."""
    item = inst.item(item_id)
    number = [i.id for i in inst.items].index(item_id) + 1
    option = next((o for o in item.options if o.value == value), None)
    extra = {"item9": value} if flag == "phq9_item9" else {}
    return {
        **extra,  # the PHQ-9's item 9, whatever the imported form calls it
        "item": item_id,
        "item_number": number,
        "answer": value,
        "answer_text": option.text.get("en", "") if option else "",
    }


def _raise_unanswered(
    partnership: Partnership,
    inst: Instrument,
    response: Response,
    items: list[str],
    now: Any,
) -> None:
    """A safety item left blank on a form that lets it be blank: the therapist is told, in
    this request, so the question gets asked rather than prorated away. One open alert per
    partnership; later blanks add evidence."""
    evidence = [
        {
            "source": "safety_unanswered",
            "instrument": inst.id,
            "label": f"{inst.id} item {[i.id for i in inst.items].index(item) + 1}",
            "item": item,
            "response_id": response.pk,
            "session": response.session_number,
            "at": now.isoformat(),
        }
        for item in items
    ]
    kind = AlertKind.SAFETY_UNANSWERED
    found = (
        Alert.objects.select_for_update()
        .filter(partnership=partnership, kind=kind, is_open=True)
        .first()
    )
    if found is None:
        try:
            with transaction.atomic():
                found = Alert.objects.create(
                    client=partnership.client,
                    partnership=partnership,
                    kind=kind,
                    severity=Severity.HIGH,
                    severity_rank=Severity.HIGH.rank,
                    pillar=Pillar.SAFETY,
                    evidence=evidence,
                    explanation=(
                        f"The safety question of {inst.id} was left unanswered at session "
                        f"{response.session_number}; the total is prorated. Ask about it: a "
                        "blank is not a 'no'."
                    ),
                    repair_actions=list(REPAIR_ACTIONS[kind]),
                    client_prompt=CLIENT_PROMPTS[kind],
                    session=response.session_number,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            found = Alert.objects.select_for_update().get(
                partnership=partnership, kind=kind, is_open=True
            )
        else:
            _event(found, AlertEvent.Action.RAISED, None)
            alert_id = found.pk
            transaction.on_commit(lambda: notify_unanswered(alert_id))
            return
    found.evidence = [*found.evidence, *evidence]
    found.session = max(found.session or 0, response.session_number)
    found.updated_at = now
    found.save(update_fields=["evidence", "session", "updated_at"])
    _event(found, AlertEvent.Action.UPDATED, None)


def notify_unanswered(alert_id: int) -> None:
    """E-mail the client's therapist a link (no clinical detail) to the unanswered alert."""
    alert = Alert.objects.select_related("partnership__therapist").get(pk=alert_id)
    if alert.partnership is None or not alert.partnership.is_active:
        return
    therapist = alert.partnership.therapist
    link = settings.SITE_URL.rstrip("/") + reverse("checkins:alert_detail", args=[alert_id])
    with translation.override(therapist.preferred_language or settings.LANGUAGE_CODE):
        subject = gettext("A client left a question unanswered")
        body = gettext(
            "A check-in on Alliance has a question left unanswered that your practice asks you "
            "to follow up.\n\nOpen it here (log-in required):\n%(link)s\n\n"
            "This e-mail deliberately contains no clinical details.\n"
        ) % {"link": link}
    send_mail(subject, body, None, [therapist.email])
    _event(alert, AlertEvent.Action.NOTIFIED, None, "e-mailed the therapist")


def _latest_session(partnership: Partnership) -> int:
    last = (
        CheckinRequest.objects.filter(partnership=partnership)
        .order_by("-session_number")
        .values_list("session_number", flat=True)
        .first()
    )
    return int(last or 1)


def _complete_if_done(request: CheckinRequest, now: Any) -> None:
    answered = set(
        Response.objects.filter(request=request, respondent_role="client").values_list(
            "instrument_id", flat=True
        )
    )
    if set(request.instruments) <= answered and request.completed_at is None:
        request.completed_at = now
        request.save(update_fields=["completed_at"])


def pending_instruments(request: CheckinRequest, role: str) -> list[str]:
    wanted = [CHECKIN_THERAPIST] if role == "therapist" else list(request.instruments)
    answered = set(
        Response.objects.filter(request=request, respondent_role=role).values_list(
            "instrument_id", flat=True
        )
    )
    return [i for i in wanted if i not in answered]


# --- alert workflow ------------------------------------------------------------------------


def _event(alert: Alert, action: str, actor: User | None, note: str = "") -> AlertEvent:
    return AlertEvent.objects.create(
        alert=alert, action=action, actor=actor, note=note or None, created_at=timezone.now()
    )


def _locked_open(alert: Alert) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if not locked.is_open:
        raise CheckinError(gettext("this alert is already closed"))
    return locked


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise CheckinError(gettext("please add a short note"))
    if len(note) > NOTE_MAX_CHARS:
        raise CheckinError(f"a note can be at most {NOTE_MAX_CHARS} characters")
    return note


@transaction.atomic
def acknowledge_alert(*, alert: Alert, actor: User, note: str = "") -> Alert:
    locked = _locked_open(alert)
    note = _clean_note(note, required=False)
    now = timezone.now()
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
    if locked.state == Alert.State.OPEN:
        locked.state = Alert.State.ACKNOWLEDGED
    locked.updated_at = now
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "state", "updated_at"])
    _event(locked, AlertEvent.Action.ACKNOWLEDGED, actor, note)
    return locked


def _current_session(partnership_id: int | None) -> int:
    if partnership_id is None:
        return 0
    last = (
        Response.objects.current()
        .filter(partnership_id=partnership_id)
        .order_by("-session_number")
        .values_list("session_number", flat=True)
        .first()
    )
    return int(last or 0)


@transaction.atomic
def plan_repair(*, alert: Alert, actor: User, note: str) -> Alert:
    """Record the repair action; from now on the next check-ins can show it held."""
    locked = _locked_open(alert)
    if locked.is_safety:
        raise CheckinError(
            gettext("a safety alert closes with a risk assessment and a safety plan")
        )
    note = _clean_note(note, required=True)
    now = timezone.now()
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
        _event(locked, AlertEvent.Action.ACKNOWLEDGED, actor)
    locked.state = Alert.State.REPAIR_PLANNED
    locked.repair_session = _current_session(locked.partnership_id)
    locked.updated_at = now
    locked.save(
        update_fields=[
            "acknowledged_at",
            "acknowledged_by",
            "state",
            "repair_session",
            "updated_at",
        ]
    )
    _event(locked, AlertEvent.Action.REPAIR_PLANNED, actor, note)
    return locked


@transaction.atomic
def resolve_alert(*, alert: Alert, actor: User, note: str) -> Alert:
    locked = _locked_open(alert)
    if locked.is_safety:
        raise CheckinError(
            "a safety alert can only be closed with a documented risk assessment and a safety plan"
        )
    note = _clean_note(note, required=True)
    now = timezone.now()
    locked.state = Alert.State.RESOLVED
    locked.is_open = False
    locked.closed_at = now
    locked.updated_at = now
    locked.save(update_fields=["state", "is_open", "closed_at", "updated_at"])
    _event(locked, AlertEvent.Action.RESOLVED, actor, note)
    return locked


SAFETY_PLAN_FIELDS = (
    "warning_signs",
    "coping_strategies",
    "social_distractions",
    "people_to_ask",
    "professionals",
    "environment_safety",
    "reasons_for_living",
)


@transaction.atomic
def close_safety_alert(
    *, alert: Alert, actor: User, risk_level: str, risk_assessment: str, plan: dict[str, str]
) -> Alert:
    """Close a safety alert with a documented risk assessment and a Stanley & Brown (2012)
    safety plan; every field is required."""
    locked = _locked_open(alert)
    if not locked.is_safety:
        raise CheckinError(gettext("only safety alerts close with a safety plan"))
    if risk_level not in SafetyAssessment.Risk.values:
        raise CheckinError(gettext("choose the assessed level of risk"))
    missing = [f for f in SAFETY_PLAN_FIELDS if not (plan.get(f) or "").strip()]
    if not (risk_assessment or "").strip():
        missing.insert(0, "risk_assessment")
    if missing:
        raise CheckinError(
            "a safety alert closes only with a documented risk assessment and a complete "
            "safety plan; missing: " + ", ".join(m.replace("_", " ") for m in missing)
        )
    now = timezone.now()
    SafetyAssessment.objects.create(
        alert=locked,
        assessed_by=actor,
        risk_level=risk_level,
        risk_assessment=risk_assessment.strip(),
        created_at=now,
        **{f: plan[f].strip() for f in SAFETY_PLAN_FIELDS},
    )
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
    locked.state = Alert.State.RESOLVED
    locked.is_open = False
    locked.closed_at = now
    locked.updated_at = now
    locked.save(
        update_fields=[
            "acknowledged_at",
            "acknowledged_by",
            "state",
            "is_open",
            "closed_at",
            "updated_at",
        ]
    )
    _event(locked, AlertEvent.Action.RESOLVED, actor, "risk assessment and safety plan recorded")
    return locked
