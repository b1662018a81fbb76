"""Answering a check-in: scoring and storing one questionnaire, and the safety alerts its
answers raise in the same transaction (`submit_response` calls
`safety.raise_safety_alert` before it returns); the other alert rules run in a task
enqueued on commit (`request_alert_evaluation`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import instruments as instrument_lookup
from alliance.checkins.alert_workflow import record_event
from alliance.checkins.errors import CheckinError
from alliance.checkins.models import (
    CHECKIN,
    CHECKIN_THERAPIST,
    Alert,
    AlertEvent,
    CheckinRequest,
    Response,
)
from alliance.checkins.requests import is_follow_up, request_alert_evaluation
from alliance.checkins.safety import crisis_phrases, raise_safety_alert
from alliance.core import mail
from alliance.measures.alerts.model import AlertKind, Pillar, Severity
from alliance.measures.alerts.texts import CLIENT_PROMPTS, REPAIR_ACTIONS
from alliance.measures.instrument import Instrument
from alliance.measures.scoring import ScoreResult, ScoringError, score
from alliance.privacy import audit

COMMENT_MAX_CHARS = 2_000


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
    role = _respondent_role(partnership, respondent, request)
    key = (idempotency_key or "").strip()[:64] or uuid.uuid4().hex
    prior = _prior_response(respondent, key, request, instrument_id)
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
    row = _response_row(
        partnership, request, respondent, role, inst, result, session, comment, now, key
    )
    stored = _store(row, key=key)
    if isinstance(stored, Submitted):
        return stored
    response, corrected = stored
    if corrected is not None:
        audit.record(respondent, audit.Action.CORRECT_SCORE, corrected, reason=f"by {response.pk}")
    alert, crisis = _alert_on_critical_items(
        partnership, respondent, inst, result, response, session
    )
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


def _respondent_role(
    partnership: Partnership, respondent: User, request: CheckinRequest | None
) -> str:
    """The respondent's role, or `CheckinError` when they may not answer here (now)."""
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
    return role


def _prior_response(
    respondent: User, key: str, request: CheckinRequest | None, instrument_id: str
) -> Response | None:
    """What an earlier submit of this same answer stored (same key, or request and measure)."""
    prior = Response.objects.filter(respondent=respondent, idempotency_key=key).first()
    if prior is None and request is not None:
        prior = Response.objects.filter(
            request=request, instrument_id=instrument_id, respondent=respondent
        ).first()
    return prior


def _response_row(
    partnership: Partnership,
    request: CheckinRequest | None,
    respondent: User,
    role: str,
    inst: Instrument,
    result: ScoreResult,
    session: int,
    comment: str,
    now: dt.datetime,
    key: str,
) -> dict[str, Any]:
    """The fields of the `Response` to store."""
    return {
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


def _alert_on_critical_items(
    partnership: Partnership,
    respondent: User,
    inst: Instrument,
    result: ScoreResult,
    response: Response,
    session: int,
) -> tuple[Alert | None, bool]:
    """The safety alert each flagged critical item raises (the last one), and whether to
    show the crisis panel now."""
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
    return alert, crisis


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
            record_event(found, AlertEvent.Action.RAISED, None)
            alert_id = found.pk
            transaction.on_commit(lambda: notify_unanswered(alert_id))
            return
    found.evidence = [*found.evidence, *evidence]
    found.session = max(found.session or 0, response.session_number)
    found.updated_at = now
    found.save(update_fields=["evidence", "session", "updated_at"])
    record_event(found, AlertEvent.Action.UPDATED, None)


def notify_unanswered(alert_id: int) -> None:
    """E-mail the client's therapist a link (no clinical detail) to the unanswered alert."""
    alert = Alert.objects.select_related("partnership__therapist").get(pk=alert_id)
    if alert.partnership is None or not alert.partnership.is_active:
        return
    link = mail.link("checkins:alert_detail", alert_id)
    mail.send_composed(
        alert.partnership.therapist,
        lambda: (
            gettext("A client left a question unanswered"),
            gettext(
                "A check-in on Alliance has a question left unanswered that your practice asks "
                "you to follow up.\n\nOpen it here (log-in required):\n%(link)s\n\n"
                "This e-mail deliberately contains no clinical details.\n"
            )
            % {"link": link},
        ),
    )
    record_event(alert, AlertEvent.Action.NOTIFIED, None, "e-mailed the therapist")


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
