"""JSON API for journal entries (mounted at /api/journal/). Same services as the pages.

A client lists and writes their own entries; both sides list the entries shared in a
partnership. No route ever returns a private entry to anyone but its writer.

Input rules are in the schema (a 400 names the rule); a service's refusal of well-formed
input is a conflict with the current state (already shared, no therapist yet to share
with, a goal's prompt no longer offered): 409.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, WithJsonSchema, model_validator

from alliance.api.errors import responses, rule_broken
from alliance.api.inputs import VISIBLE, Flag, PathId, Text, WholeNumber
from alliance.care.queries import partnership_for
from alliance.core.crisis import resources_for_user
from alliance.journal import prompts, queries, services
from alliance.journal.models import MOOD_MAX, MOOD_MIN, JournalEntry
from alliance.privacy import audit
from alliance.privacy.access import ApiAccess

router = Router(tags=["journal"])
CLIENT = ApiAccess("client", scope="self")
BOTH = ApiAccess("client", "therapist", scope="own_partnerships")
PAGE = 50
# Past any journal's end, and within the database's integer range for OFFSET.
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many entries to skip.")]

# No prompt, a general prompt, or the prompt of one of the client's open, agreed goals.
_GENERAL_KEYS = "|".join(re.escape(p.key) for p in prompts.general_prompts())
PROMPT_KEYS = rf"^(|{_GENERAL_KEYS}|goal-[1-9][0-9]{{0,18}})$"
_PROMPT_KEYS = re.compile(PROMPT_KEYS)


def _too_long(what: str) -> Any:
    return lambda limit: (
        _("The %(what)s can be at most %(limit)d characters.")
        % {
            "what": _(what),
            "limit": limit,
        }
    )


def _mood_in_range(value: int | None) -> int | None:
    if value is not None and not MOOD_MIN <= value <= MOOD_MAX:
        raise rule_broken(_("Mood is from 0 to 10."))
    return value


def _offered_prompt(value: str) -> str:
    if not _PROMPT_KEYS.match(value):
        raise rule_broken(_("Please choose one of the prompts offered."))
    return value


Body = Annotated[str, Text(limit=services.BODY_MAX_CHARS, too_long=_too_long("entry"))]
Bring = Annotated[
    str, Text(limit=services.BRING_MAX_CHARS, too_long=_too_long("note for the next session"))
]
Mood = Annotated[
    WholeNumber | None,
    AfterValidator(_mood_in_range),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": MOOD_MIN, "maximum": MOOD_MAX}, {"type": "null"}]}
    ),
]
PromptKey = Annotated[
    str,
    AfterValidator(_offered_prompt),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PROMPT_KEYS,
            "description": "A general prompt's key, or goal-<id> for an open, agreed goal.",
        }
    ),
]


class CrisisResource(Schema):
    name: str
    contact: str
    note: str = ""


class EntryOut(Schema):
    id: int
    partnership_id: int | None
    body: str
    prompt: str | None
    bring_to_session: str | None
    mood: int | None
    goal_id: int | None
    assignment_id: int | None
    shared: bool
    shared_at: dt.datetime | None
    created_at: dt.datetime


class EntryWriteOut(Schema):
    entry: EntryOut
    # Crisis language was found: show `crisis_resources` at once.
    crisis: bool
    # Whether the therapist and the on-call clinician were alerted (shared entries only).
    alerted: bool
    crisis_resources: list[CrisisResource]


class EntryIn(Schema):
    # Something must be written (the entry or the note for the next session) or a mood
    # chosen: the schema says so with `anyOf`, the validator below refuses with a 400.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["body"], "properties": {"body": {"pattern": VISIBLE}}},
                {
                    "required": ["bring_to_session"],
                    "properties": {"bring_to_session": {"pattern": VISIBLE}},
                },
                {"required": ["mood"], "properties": {"mood": {"type": "integer"}}},
            ]
        },
    )

    body: Body = ""
    mood: Mood = None
    prompt_key: PromptKey = ""
    bring_to_session: Bring = ""
    share: Flag = False

    @model_validator(mode="after")
    def _something_written(self) -> EntryIn:
        if not self.body.strip() and not self.bring_to_session.strip() and self.mood is None:
            raise rule_broken(_("Please write something, or choose your mood."))
        return self


def _entry(e: JournalEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "partnership_id": e.partnership_id,
        "body": e.body,
        "prompt": e.prompt,
        "bring_to_session": e.bring_to_session,
        "mood": e.mood,
        "goal_id": e.goal_id,
        "assignment_id": e.assignment_id,
        "shared": e.is_shared,
        "shared_at": e.shared_at,
        "created_at": e.created_at,
    }


def _written(request: HttpRequest, result: services.EntryResult) -> dict[str, Any]:
    crisis = bool(result.crisis_phrases)
    return {
        "entry": _entry(result.entry),
        "crisis": crisis,
        "alerted": result.alerted,
        "crisis_resources": resources_for_user(request.auth) if crisis else [],  # type: ignore[attr-defined]
    }


@router.get("/entries", response=responses({200: list[EntryOut]}), auth=CLIENT)
def list_entries(request: HttpRequest, offset: Offset = 0) -> Any:
    """The client's own entries, newest first, 50 at a time."""
    return [_entry(e) for e in queries.own_entries(request.auth)[offset : offset + PAGE]]  # type: ignore[attr-defined]


@router.post("/entries", response=responses({201: EntryWriteOut}, 409), auth=CLIENT)
def write_entry(request: HttpRequest, payload: EntryIn) -> Any:
    result = services.write_entry(
        client=request.auth,  # type: ignore[attr-defined]
        body=payload.body,
        mood=payload.mood,
        prompt_key=payload.prompt_key,
        bring_to_session=payload.bring_to_session,
        share=payload.share,
    )
    return Status(201, _written(request, result))


@router.get("/entries/{entry_id}", response=responses({200: EntryOut}, 404), auth=CLIENT)
def get_entry(request: HttpRequest, entry_id: PathId) -> Any:
    return _entry(queries.own_entry(request.auth, entry_id))  # type: ignore[attr-defined]


@router.post(
    "/entries/{entry_id}/share", response=responses({200: EntryWriteOut}, 404, 409), auth=CLIENT
)
def share_entry(request: HttpRequest, entry_id: PathId) -> Any:
    entry = queries.own_entry(request.auth, entry_id)  # type: ignore[attr-defined]
    result = services.share_entry(entry=entry, by=request.auth)  # type: ignore[attr-defined]
    return _written(request, result)


@router.post(
    "/entries/{entry_id}/unshare", response=responses({200: EntryOut}, 404, 409), auth=CLIENT
)
def unshare_entry(request: HttpRequest, entry_id: PathId) -> Any:
    entry = queries.own_entry(request.auth, entry_id)  # type: ignore[attr-defined]
    return _entry(services.unshare_entry(entry=entry, by=request.auth))  # type: ignore[attr-defined]


@router.get("/partnerships/{pk}/entries", response=responses({200: list[EntryOut]}, 404), auth=BOTH)
def shared_entries(request: HttpRequest, pk: PathId, offset: Offset = 0) -> Any:
    """Entries the client shared in this partnership (a therapist's read is audited)."""
    user = request.auth  # type: ignore[attr-defined]
    partnership = partnership_for(user, pk)
    if user.is_therapist:
        audit.record(user, audit.Action.OPEN_RECORD, partnership)
    return [_entry(e) for e in queries.shared_entries(partnership)[offset : offset + PAGE]]
