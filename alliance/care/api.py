"""JSON API for intake, matching, choosing, switching and the waiting list.

The same form validates intake answers as on the web page, and the same services write.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from alliance.care import matching, queries, switching, waitlist
from alliance.care.intake import IntakeForm, save_intake
from alliance.care.models import MatchOffer
from alliance.core.crisis import resources_for
from alliance.privacy.access import ApiAccess

router = Router(tags=["care"])
CLIENT = ApiAccess("client", scope="self")


class IntakeIn(Schema):
    concerns: list[str]
    change_wanted: str = ""
    languages: list[str]
    modality: str
    jurisdiction: str | None = None
    timezone: str | None = None
    days: list[int] = []
    times: list[str] = []
    budget: str | None = None
    insurer: str = ""
    preferences: dict[str, Any] = {}
    had_therapy_before: bool = False
    did_not_work: str = ""
    screen: dict[str, bool]


class CrisisResource(Schema):
    name: str
    contact: str
    note: str = ""


class IntakeOut(Schema):
    id: int
    screen_positive: bool
    alerted: bool
    crisis_resources: list[CrisisResource]


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class MatchOut(Schema):
    offer_id: int
    therapist_id: int
    name: str
    reasons: list[str]
    unmet: list[str]
    weights_version: str


class MatchesOut(Schema):
    matches: list[MatchOut]
    excluded_by: str | None
    waiting_list_offered: bool


class PartnershipOut(Schema):
    id: int
    therapist_id: int
    status: str
    end_reason: str
    switch_reason: str
    handoff_consent: bool


class SwitchIn(Schema):
    reason: str = ""
    consent_handoff: bool = False


class WaitlistOut(Schema):
    waiting: bool
    joined_at: str | None


def _form_data(payload: IntakeIn, client: Any) -> dict[str, Any]:
    data: dict[str, Any] = payload.dict(exclude={"preferences", "screen"})
    profile = getattr(client, "client_profile", None)
    if not data.get("jurisdiction") and profile is not None and profile.jurisdiction_id:
        data["jurisdiction"] = profile.jurisdiction.code
    data["timezone"] = data.get("timezone") or client.timezone
    data["budget"] = data.get("budget") or ""
    for name, pref in payload.preferences.items():
        if not isinstance(pref, dict):
            raise HttpError(400, f"preference {name!r} must be an object with value and must")
        data[name] = pref.get("value")
        data[f"{name}_must"] = bool(pref.get("must"))
    for key, value in payload.screen.items():
        data[f"screen_{key}"] = "yes" if value else "no"
    return {k: v for k, v in data.items() if v is not None and v is not False}


@router.post("/intake", response={201: IntakeOut, 400: ErrorOut}, auth=CLIENT)
def submit_intake(request: HttpRequest, payload: IntakeIn) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    if queries.active_partnership_of_client(client) is not None:
        return Status(400, {"detail": "you already work with a therapist; switch first"})
    form = IntakeForm(_form_data(payload, client), client=client)
    if not form.is_valid():
        errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
        return Status(400, {"detail": "some answers need attention", "errors": errors})
    answers, alerted = save_intake(client=client, form=form)
    return Status(
        201,
        {
            "id": answers.pk,
            "screen_positive": answers.screen_positive,
            "alerted": alerted,
            "crisis_resources": resources_for(answers.jurisdiction)
            if answers.screen_positive
            else [],
        },
    )


@router.get("/matches", response={200: MatchesOut, 400: ErrorOut}, auth=CLIENT)
def get_matches(request: HttpRequest) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    if queries.active_partnership_of_client(client) is not None:
        return Status(400, {"detail": "you already work with a therapist"})
    answers = matching.latest_intake(client)
    if answers is None:
        return Status(400, {"detail": "fill in the intake first"})
    page = matching.find_matches(client=client, intake=answers)
    return Status(
        200,
        {
            "matches": [
                {
                    "offer_id": m.offer.pk,
                    "therapist_id": m.therapist.pk,
                    "name": m.therapist.name,
                    "reasons": m.reasons,
                    "unmet": m.unmet,
                    "weights_version": m.offer.weights_version,
                }
                for m in page.matches
            ],
            "excluded_by": page.excluded_by,
            "waiting_list_offered": not page.matches,
        },
    )


def _partnership(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "therapist_id": p.therapist_id,
        "status": p.status,
        "end_reason": p.end_reason,
        "switch_reason": p.switch_reason,
        "handoff_consent": p.handoff_consent,
    }


@router.post(
    "/offers/{offer_id}/choose", response={201: PartnershipOut, 409: ErrorOut}, auth=CLIENT
)
def choose(request: HttpRequest, offer_id: int) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    offer = get_object_or_404(MatchOffer, pk=offer_id, client=client)
    try:
        partnership = matching.choose_therapist(client=client, offer=offer)
    except matching.MatchingError as exc:
        return Status(409, {"detail": str(exc)})
    return Status(201, _partnership(partnership))


@router.post(
    "/switch",
    response={200: PartnershipOut, 400: ErrorOut},
    auth=ApiAccess("client", scope="own_partnerships"),
)
def switch(request: HttpRequest, payload: SwitchIn) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    partnership = queries.active_partnership_of_client(client)
    if partnership is None:
        return Status(400, {"detail": "you are not working with a therapist"})
    try:
        ended = switching.switch_therapist(
            partnership=partnership, reason=payload.reason, consent_handoff=payload.consent_handoff
        )
    except switching.SwitchError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(200, _partnership(ended))


@router.post("/waiting-list", response={201: WaitlistOut, 400: ErrorOut}, auth=CLIENT)
def join_waitlist(request: HttpRequest) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    answers = matching.latest_intake(client)
    if answers is None:
        return Status(400, {"detail": "fill in the intake first"})
    try:
        entry = waitlist.join_waitlist(client=client, intake=answers)
    except matching.MatchingError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, {"waiting": True, "joined_at": entry.joined_at.isoformat()})
