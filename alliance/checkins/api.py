"""JSON API of the check-ins (mounted at /api/checkins/): submit a response, read scores,
export a response as FHIR. Safety is evaluated in the submitting request, as in the HTML
flow: `crisis` is true when crisis resources must be shown at once."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import WithJsonSchema

from alliance.accounts.models import User
from alliance.care.queries import partnership_for
from alliance.checkins import export, services
from alliance.checkins.models import CheckinRequest, Response
from alliance.core.crisis import resources_for_user
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


class SubmitIn(Schema):
    partnership_id: int
    instrument_id: str
    answers: dict[str, AnswerValue]
    request_id: int | None = None
    idempotency_key: str | None = None


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


class ErrorOut(Schema):
    detail: str


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
    response={200: SubmitOut, 201: SubmitOut, 400: ErrorOut, 404: ErrorOut},
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
    try:
        submitted = services.submit_response(
            partnership=partnership,
            respondent=user,
            instrument_id=payload.instrument_id,
            answers=dict(payload.answers),
            request=checkin,
            idempotency_key=payload.idempotency_key,
        )
    except services.CheckinError as exc:
        return Status(400, {"detail": str(exc)})
    body = {
        "response": _score(submitted.response),
        "created": submitted.created,
        "crisis": submitted.crisis,
        "crisis_resources": resources_for_user(user) if submitted.crisis else [],
    }
    return Status(201 if submitted.created else 200, body)


@router.get(
    "/partnerships/{partnership_id}/scores",
    response={200: ScoresOut, 404: ErrorOut},
    auth=PARTIES,
    summary="Scores of a partnership's responses, oldest first",
)
def scores(request: HttpRequest, partnership_id: int, instrument: str | None = None):  # type: ignore[no-untyped-def]
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
    response={200: FhirBundleOut, 404: ErrorOut},
    auth=PARTIES,
    summary="A response as a FHIR Bundle: QuestionnaireResponse and Observations",
)
def response_fhir(request: HttpRequest, response_id: int):  # type: ignore[no-untyped-def]
    user: User = request.auth  # type: ignore[attr-defined]
    response = Response.objects.select_related("partnership").filter(pk=response_id).first()
    if response is None:
        raise HttpError(404, "no such response")
    _partnership(user, response.partnership_id)
    audit.record(user, audit.Action.EXPORT, response)
    return export.fhir_bundle(response)
