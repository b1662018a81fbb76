"""JSON API for journal entries (mounted at /api/journal/). Same services as the pages.

A client lists and writes their own entries; both sides list the entries shared in a
partnership. No route ever returns a private entry to anyone but its writer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from alliance.care.queries import partnership_for
from alliance.core.crisis import resources_for_user
from alliance.journal import queries, services
from alliance.journal.models import JournalEntry
from alliance.privacy import audit
from alliance.privacy.access import ApiAccess

router = Router(tags=["journal"])
CLIENT = ApiAccess("client", scope="self")
BOTH = ApiAccess("client", "therapist", scope="own_partnerships")
PAGE = 50


class ErrorOut(Schema):
    detail: str


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
    body: str = ""
    mood: int | None = None
    prompt_key: str = ""
    bring_to_session: str = ""
    share: bool = False


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


# Past any journal's end, and within the database's integer range for OFFSET.
MAX_OFFSET = 1_000_000


@router.get("/entries", response=list[EntryOut], auth=CLIENT)
def list_entries(request: HttpRequest, offset: int = 0) -> Any:
    """The client's own entries, newest first, 50 at a time."""
    offset = min(max(0, offset), MAX_OFFSET)
    return [_entry(e) for e in queries.own_entries(request.auth)[offset : offset + PAGE]]  # type: ignore[attr-defined]


@router.post("/entries", response={201: EntryWriteOut, 400: ErrorOut}, auth=CLIENT)
def write_entry(request: HttpRequest, payload: EntryIn) -> Any:
    try:
        result = services.write_entry(
            client=request.auth,  # type: ignore[attr-defined]
            body=payload.body,
            mood=payload.mood,
            prompt_key=payload.prompt_key,
            bring_to_session=payload.bring_to_session,
            share=payload.share,
        )
    except services.JournalError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _written(request, result))


@router.get("/entries/{entry_id}", response=EntryOut, auth=CLIENT)
def get_entry(request: HttpRequest, entry_id: int) -> Any:
    return _entry(queries.own_entry(request.auth, entry_id))  # type: ignore[attr-defined]


@router.post("/entries/{entry_id}/share", response={200: EntryWriteOut, 400: ErrorOut}, auth=CLIENT)
def share_entry(request: HttpRequest, entry_id: int) -> Any:
    entry = queries.own_entry(request.auth, entry_id)  # type: ignore[attr-defined]
    try:
        result = services.share_entry(entry=entry, by=request.auth)  # type: ignore[attr-defined]
    except services.JournalError as exc:
        return Status(400, {"detail": str(exc)})
    return _written(request, result)


@router.post("/entries/{entry_id}/unshare", response={200: EntryOut, 400: ErrorOut}, auth=CLIENT)
def unshare_entry(request: HttpRequest, entry_id: int) -> Any:
    entry = queries.own_entry(request.auth, entry_id)  # type: ignore[attr-defined]
    try:
        return _entry(services.unshare_entry(entry=entry, by=request.auth))  # type: ignore[attr-defined]
    except services.JournalError as exc:
        return Status(400, {"detail": str(exc)})


@router.get("/partnerships/{pk}/entries", response=list[EntryOut], auth=BOTH)
def shared_entries(request: HttpRequest, pk: int, offset: int = 0) -> Any:
    """Entries the client shared in this partnership (a therapist's read is audited)."""
    user = request.auth  # type: ignore[attr-defined]
    partnership = partnership_for(user, pk)
    if user.is_therapist:
        audit.record(user, audit.Action.OPEN_RECORD, partnership)
    offset = min(max(0, offset), MAX_OFFSET)
    return [_entry(e) for e in queries.shared_entries(partnership)[offset : offset + PAGE]]
