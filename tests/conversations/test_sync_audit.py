"""A therapist reading the messages over the socket (`sync`) is audited as the page is: the
page's opening is one row; a sync re-reads what it opened, so it adds a row only when the
log has no opening of the conversation by them within the refresh window — once per window,
not per sync or message. A client's own reads are not staff reads."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async

from alliance.privacy import audit
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in
from tests.conversations.conftest import new_id, open_socket, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def openings(user, partnership) -> int:
    return AuditEvent.objects.filter(
        actor_id=user.pk,
        action="open_record",
        object_type="care.partnership",
        object_id=str(partnership.pk),
        reason="conversation",
    ).count()


async def count(user, partnership) -> int:
    return await database_sync_to_async(openings)(user, partnership)


async def sync(socket, after: int = 0) -> dict:
    await socket.send_json_to({"type": "sync", "after": after})
    return await receive_until(socket, "history")


async def test_a_therapists_socket_sync_is_audited_once_per_window(
    partnership, cookies, their_therapist
):
    client = await open_socket(cookies["client"], partnership.pk)
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(client, "ready")
    await receive_until(therapist, "ready")
    for text in ("one", "two"):
        await client.send_json_to({"type": "message", "id": new_id(), "body": text})
        await receive_until(client, "ack")
    # the first sync, with no opening in the log, is recorded
    assert len((await sync(therapist))["messages"]) == 2
    assert await count(their_therapist, partnership) == 1
    # more syncs and live messages within the window are not
    await sync(therapist)
    await sync(therapist, after=1)
    await client.send_json_to({"type": "message", "id": new_id(), "body": "three"})
    await receive_until(therapist, "message")
    assert await count(their_therapist, partnership) == 1

    # once the window has passed, the next sync is recorded again
    def age_the_log() -> None:
        AuditEvent.objects.filter(actor_id=their_therapist.pk).update(
            at=AuditEvent.objects.get(actor_id=their_therapist.pk).at
            - audit.REFRESH_WINDOW
            - dt.timedelta(seconds=1)
        )

    await database_sync_to_async(age_the_log)()
    await sync(therapist)
    assert await count(their_therapist, partnership) == 2
    await client.disconnect()
    await therapist.disconnect()


async def test_a_sync_right_after_the_page_opened_adds_no_row(partnership, their_therapist):
    browser = await database_sync_to_async(logged_in)(their_therapist)
    page = await database_sync_to_async(browser.get)(f"/conversations/{partnership.pk}/")
    assert page.status_code == 200
    assert await count(their_therapist, partnership) == 1  # the page's opening
    socket = await open_socket(f"sessionid={browser.cookies['sessionid'].value}", partnership.pk)
    await receive_until(socket, "ready")
    await sync(socket)  # what the page's script does on connecting
    assert await count(their_therapist, partnership) == 1
    await socket.disconnect()


async def test_a_clients_sync_is_not_a_staff_read(partnership, cookies, client_user):
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await sync(client)
    assert await count(client_user, partnership) == 0
    await client.disconnect()
