"""JSON API for intake, matching, choosing, switching and the waiting list.

The same form validates intake answers as on the web page (a 400 lists its messages per
field), and the same services write. What the schema documents of an intake is what the form
accepts. A request that is well formed but does not fit the client's current state (already
working with a therapist, no intake yet, an offer already answered) is a conflict: 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, WithJsonSchema

from alliance.api.errors import refuse, responses
from alliance.api.inputs import NO_NUL, Choice, Flag, PathId, Text, WholeNumber
from alliance.care import client_query, intake, offers, queries, switching, waitlist
from alliance.care.intake import IntakeForm, save_intake
from alliance.care.models import MatchOffer
from alliance.core.crisis import resources_for
from alliance.core.weekdays import WEEKDAYS
from alliance.core.zones import zone_names
from alliance.directory.models import Modality
from alliance.matching.vocabulary import SWITCH_REASONS
from alliance.privacy.access import ApiAccess

router = Router(tags=["care"])
CLIENT = ApiAccess("client", scope="self")


def _choose() -> str:
    return _("Choose one of the options offered.")


def _too_long(limit: int) -> str:
    return _("The %(field)s can be at most %(limit)d characters.") % {
        "field": _("answer"),
        "limit": limit,
    }


def _options(values: list[Any], *, at_least_one: bool = False, kind: str = "string") -> Any:
    """An array of the form's choices, checked by the form (a 400 naming the field)."""
    schema: dict[str, Any] = {"type": "array", "items": {"type": kind, "enum": values}}
    if at_least_one:
        schema["minItems"] = 1
    return WithJsonSchema(schema)


def _one_of(values: list[Any], *, nullable: bool = False) -> Any:
    schema: dict[str, Any] = {"type": "string", "enum": values}
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]} if nullable else schema)


def _listed(pairs: list[tuple[str, Any]]) -> tuple[str, ...]:
    return tuple(key for key, _label in pairs)


# Checked by the form (a 400 naming each field), documented here as the form's choices.
Concerns = Annotated[list[str], _options(list(intake.CONCERN_LABELS), at_least_one=True)]
Languages = Annotated[list[str], _options(list(_listed(intake.LANGUAGES)), at_least_one=True)]
ModalityIn = Annotated[str, _one_of(list(Modality.values))]
TimeZone = Annotated[str | None, _one_of(list(zone_names()), nullable=True)]
Days = Annotated[
    list[WholeNumber],
    _options([d for d, _label in WEEKDAYS], kind="integer"),
]
Times = Annotated[list[str], _options(list(_listed(intake.PART_CHOICES)))]
Jurisdiction = Annotated[
    str | None,
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "maxLength": 16, "pattern": NO_NUL}, {"type": "null"}],
            "description": "A jurisdiction's code; the client's own when left out.",
        }
    ),
]
# At most 99999.99, as the form's decimal field (seven digits, two after the point).
Budget = Annotated[str | None, Field(pattern=r"^([0-9]{1,5}(\.[0-9]{1,2})?)?$")]
LongText = Annotated[str, Text(limit=intake.TEXT_MAX, too_long=_too_long)]
Insurer = Annotated[str, Text(limit=80, too_long=_too_long)]


Gender = Annotated[str, Choice(_listed(intake.GENDERS), message=_choose)]
Culture = Annotated[str, Choice(_listed(intake.CULTURES), message=_choose)]
Approach = Annotated[str, Choice(_listed(intake.APPROACHES), message=_choose)]
Age = Annotated[str, Choice(_listed(intake.AGE_CHOICES), message=_choose)]
Style = Annotated[str, Choice(_listed(intake.STYLE_CHOICES), message=_choose)]


class _Preference(Schema):
    model_config = ConfigDict(extra="forbid")

    # A must-have is a hard constraint of the match; otherwise a nice-to-have.
    must: Flag = False


class GenderPreference(_Preference):
    value: list[Gender] = Field(min_length=1)


class CulturePreference(_Preference):
    value: list[Culture] = Field(min_length=1)


class ApproachPreference(_Preference):
    value: list[Approach] = Field(min_length=1)


class AgePreference(_Preference):
    value: Age


class StylePreference(_Preference):
    value: Style


class WantedPreference(_Preference):
    """Faith-informed or LGBTQ+-affirming: stated only when wanted."""

    value: Annotated[bool, Field(strict=True), WithJsonSchema({"type": "boolean", "const": True})]


class PreferencesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    gender: GenderPreference | None = None
    age: AgePreference | None = None
    faith_informed: WantedPreference | None = None
    lgbtq_affirming: WantedPreference | None = None
    culture: CulturePreference | None = None
    approach: ApproachPreference | None = None
    style: StylePreference | None = None


ScreenAnswer = Annotated[bool | None, Field(strict=True), WithJsonSchema({"type": "boolean"})]


class ScreenIn(Schema):
    """The safety screen: every question is answered (the form names one left out)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"required": [k for k, _q in intake.SCREEN_QUESTIONS]}
    )

    wished_dead: ScreenAnswer = None
    better_off: ScreenAnswer = None
    thoughts: ScreenAnswer = None
    attempt: ScreenAnswer = None
    now: ScreenAnswer = None


class IntakeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    concerns: Concerns
    change_wanted: LongText = ""
    languages: Languages
    modality: ModalityIn
    jurisdiction: Jurisdiction = None
    timezone: TimeZone = None
    days: Days = []
    times: Times = []
    budget: Budget = None
    insurer: Insurer = ""
    preferences: PreferencesIn = PreferencesIn()
    had_therapy_before: Flag = False
    did_not_work: LongText = ""
    screen: ScreenIn


class CrisisResource(Schema):
    name: str
    contact: str
    note: str = ""


class IntakeOut(Schema):
    id: int
    screen_positive: bool
    alerted: bool
    crisis_resources: list[CrisisResource]


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


SwitchReason = Annotated[str, Choice(("", *SWITCH_REASONS), message=_choose)]


class SwitchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: SwitchReason = ""
    consent_handoff: Flag = False


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
    for name in intake.PREFERENCE_FIELDS:
        pref = getattr(payload.preferences, name)
        if pref is not None:
            data[name] = pref.value
            data[f"{name}_must"] = pref.must
    for key, _question in intake.SCREEN_QUESTIONS:
        answer = getattr(payload.screen, key)
        if answer is not None:  # left out: the form names the question
            data[f"screen_{key}"] = "yes" if answer else "no"
    return {k: v for k, v in data.items() if v is not None and v is not False}


def _already_working(client: Any) -> None:
    if queries.active_partnership_of_client(client) is not None:
        refuse(409, _("You already work with a therapist; switch first."))


def _latest_intake(client: Any) -> Any:
    answers = client_query.latest_intake(client)
    if answers is None:
        refuse(409, _("Fill in the intake first."))
    return answers


@router.post("/intake", response=responses({201: IntakeOut}, 409), auth=CLIENT)
def submit_intake(request: HttpRequest, payload: IntakeIn) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    _already_working(client)
    form = IntakeForm(_form_data(payload, client), client=client)
    if not form.is_valid():
        errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
        return Status(400, {"detail": _("Some answers need attention."), "errors": errors})
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


@router.get("/matches", response=responses({200: MatchesOut}, 409, inputs=False), auth=CLIENT)
def get_matches(request: HttpRequest) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    _already_working(client)
    page = offers.find_matches(client=client, intake=_latest_intake(client))
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
    "/offers/{offer_id}/choose",
    response=responses({201: PartnershipOut}, 404, 409),
    auth=CLIENT,
)
def choose(request: HttpRequest, offer_id: PathId) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    offer = get_object_or_404(MatchOffer, pk=offer_id, client=client)
    partnership = offers.choose_therapist(client=client, offer=offer)
    return Status(201, _partnership(partnership))


@router.post(
    "/switch",
    response=responses({200: PartnershipOut}, 409),
    auth=ApiAccess("client", scope="own_partnerships"),
)
def switch(request: HttpRequest, payload: SwitchIn) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    partnership = queries.active_partnership_of_client(client)
    if partnership is None:
        refuse(409, _("You are not working with a therapist."))
    ended = switching.switch_therapist(
        partnership=partnership, reason=payload.reason, consent_handoff=payload.consent_handoff
    )
    return Status(200, _partnership(ended))


@router.post(
    "/waiting-list", response=responses({201: WaitlistOut}, 409, inputs=False), auth=CLIENT
)
def join_waitlist(request: HttpRequest) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    entry = waitlist.join_waitlist(client=client, intake=_latest_intake(client))
    return Status(201, {"waiting": True, "joined_at": entry.joined_at.isoformat()})
