"""JSON API of the check-ins (mounted at /api/checkins/): submit a response, read scores,
export a response as FHIR. Safety is evaluated in the submitting request, as in the HTML
flow: `crisis` is true when crisis resources must be shown at once.

The service checks the answers against the instrument and refuses with a 400 naming the
item; a partnership that has ended takes no new response (409), except the follow-up asked
after a planned ending."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, WithJsonSchema

from alliance.accounts.models import User
from alliance.api.errors import refuse, responses
from alliance.api.inputs import NO_NUL, BodyId, PathId
from alliance.care.queries import partnership_for
from alliance.checkins import export
from alliance.checkins import instruments as instrument_lookup
from alliance.checkins.models import CHECKIN, CHECKIN_THERAPIST, CheckinRequest, Response
from alliance.checkins.requests import is_follow_up
from alliance.checkins.submission import COMMENT_MAX_CHARS, submit_response
from alliance.core.crisis import resources_for_user
from alliance.measures.instrument import Item
from alliance.privacy import audit
from alliance.privacy.access import ApiAccess

router = Router(tags=["checkins"])
PARTIES = ApiAccess("client", "therapist", scope="own_partnerships")


# Answers are checked by the check-in service, which names the item it refuses (`true`, a
# fraction for a whole-number choice, text for a number, a blank required item): a schema type
# here would coerce `true` to 1 before anyone could refuse it. The schema still documents the
# shape clients send.
AnswerValue = Annotated[
    Any,
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "null"}]}
    ),
]


InstrumentId = Annotated[str, Field(max_length=60, pattern=NO_NUL)]
# Resubmitting with the same key returns the stored response instead of a second one.
IdempotencyKey = Annotated[str, Field(max_length=64, pattern=NO_NUL)]


def _item_schema(item: Item) -> dict[str, Any]:
    """What the check-in service and the scoring engine accept for one item."""
    if item.kind == "text":
        return {
            "anyOf": [
                {"type": "string", "maxLength": COMMENT_MAX_CHARS, "pattern": NO_NUL},
                {"type": "null"},
            ]
        }
    if item.kind == "choice":
        whole = all(float(v).is_integer() for v in item.values)
        value: dict[str, Any] = {"enum": list(item.values)}
        if whole:  # a whole-number choice takes a whole number, not 2.0 or true
            value = {"type": "integer", "enum": [int(v) for v in item.values]}
    else:
        value = {"type": "number", "minimum": item.low, "maximum": item.high}
    return value if item.required else {"anyOf": [value, {"type": "null"}]}


def _instrument_schema(instrument_id: str) -> dict[str, Any]:
    inst = instrument_lookup.instrument(instrument_id)
    return {
        "properties": {
            "instrument_id": {"const": instrument_id},
            "answers": {
                "type": "object",
                "properties": {item.id: _item_schema(item) for item in inst.items},
                "required": [i.id for i in inst.items if i.required and i.kind != "text"],
                "additionalProperties": False,
            },
        }
    }


def _answers_per_instrument(schema: dict[str, Any]) -> None:
    """Document, per instrument the API takes, the items and the answers each accepts. Built
    when the schema is served, so a form the practice imported is listed too. The answers
    themselves are still checked by the service, which names the item it refuses."""
    ids = [CHECKIN, CHECKIN_THERAPIST, *instrument_lookup.outcome_instrument_ids()]
    schema["oneOf"] = [_instrument_schema(i) for i in dict.fromkeys(ids)]


class SubmitIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_answers_per_instrument)

    partnership_id: BodyId
    instrument_id: InstrumentId
    answers: dict[str, AnswerValue]
    request_id: BodyId | None = None
    idempotency_key: IdempotencyKey | None = None


class ScoreOut(Schema):
    id: int
    partnership_id: int
    instrument_id: str
    instrument_version: str
    respondent_role: str
    session_number: int
    total: float
    subscales: dict[str, float]
    band: str
    flags: list[str]
    prorated: bool
    submitted_at: dt.datetime


class CrisisResource(Schema):
    name: str
    contact: str
    note: str = ""


class SubmitOut(Schema):
    response: ScoreOut
    created: bool
    crisis: bool
    crisis_resources: list[CrisisResource]


class ScoresOut(Schema):
    partnership_id: int
    responses: list[ScoreOut]


class FhirBundleOut(Schema):
    resourceType: str
    type: str
    entry: list[dict[str, Any]]


def _score(r: Response) -> dict[str, Any]:
    return {
        "id": r.pk,
        "partnership_id": r.partnership_id,
        "instrument_id": r.instrument_id,
        "instrument_version": r.instrument_version,
        "respondent_role": r.respondent_role,
        "session_number": r.session_number,
        "total": r.total,
        "subscales": r.subscales,
        "band": r.band,
        "flags": r.flags,
        "prorated": r.prorated,
        "submitted_at": r.submitted_at,
    }


def _partnership(user: User, pk: int) -> Any:
    try:
        return partnership_for(user, pk)
    except Http404 as exc:
        raise HttpError(404, "no such partnership") from exc


@router.post(
    "/responses",
    response=responses({200: SubmitOut, 201: SubmitOut}, 404, 409),
    auth=PARTIES,
    summary="Submit a questionnaire response (stored once per idempotency key)",
)
def submit(request: HttpRequest, payload: SubmitIn):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    partnership = _partnership(user, payload.partnership_id)
    checkin = None
    if payload.request_id is not None:
        checkin = CheckinRequest.objects.filter(
            pk=payload.request_id, partnership=partnership
        ).first()
        if checkin is None:
            raise HttpError(404, "no such check-in request")
    # Only a follow-up after a planned ending is answered once the partnership has ended; the
    # service refuses anything else, and the refusal is about the partnership's state.
    if not partnership.is_active and not (
        checkin is not None and is_follow_up(checkin, partnership)
    ):
        refuse(409, gettext("this partnership has ended"))
    # Each side answers its own check-in: a therapist rates the alliance with the therapist's
    # form, a client never answers it. Refused as a matter of role, before any answer is read.
    if (user.pk == partnership.client_id) == (payload.instrument_id == CHECKIN_THERAPIST):
        refuse(403, gettext("This questionnaire is not for you to answer."))
    submitted = submit_response(
        partnership=partnership,
        respondent=user,
        instrument_id=payload.instrument_id,
        answers=dict(payload.answers),
        request=checkin,
        idempotency_key=payload.idempotency_key,
    )
    body = {
        "response": _score(submitted.response),
        "created": submitted.created,
        "crisis": submitted.crisis,
        "crisis_resources": resources_for_user(user) if submitted.crisis else [],
    }
    return Status(201 if submitted.created else 200, body)


@router.get(
    "/partnerships/{partnership_id}/scores",
    response=responses({200: ScoresOut}, 404),
    auth=PARTIES,
    summary="Scores of a partnership's responses, oldest first",
)
def scores(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    partnership_id: PathId,
    instrument: Annotated[str | None, Query(max_length=60, pattern=NO_NUL)] = None,
):
    user: User = request.auth  # type: ignore[attr-defined]
    partnership = _partnership(user, partnership_id)
    if user.is_therapist:  # audited as the progress page is; repeated calls are refreshes
        audit.record_opening(user, partnership, refresh=True)
    # Current scores only: a corrected response is kept (and exported) but no longer counts.
    rows = (
        Response.objects.current().filter(partnership=partnership).order_by("session_number", "id")
    )
    if instrument:
        rows = rows.filter(instrument_id=instrument)
    return {"partnership_id": partnership.pk, "responses": [_score(r) for r in rows]}


@router.get(
    "/responses/{response_id}/fhir",
    response=responses({200: FhirBundleOut}, 404),
    auth=PARTIES,
    summary="A response as a FHIR Bundle: QuestionnaireResponse and Observations",
)
def response_fhir(request: HttpRequest, response_id: PathId):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    response = Response.objects.select_related("partnership").filter(pk=response_id).first()
    if response is None:
        raise HttpError(404, "no such response")
    _partnership(user, response.partnership_id)
    audit.record(user, audit.Action.EXPORT, response)
    return export.fhir_bundle(response)
