"""A socket opened before a switch no longer serves the conversation to the former
therapist: access ends with the partnership, on an open socket as on the page."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.conversations.conftest import new_id, open_socket, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_former_therapists_open_socket_cannot_read_history_after_a_switch(
    partnership, cookies
):
    from alliance.care import switching

    therapist = await open_socket(cookies["therapist"], partnership.pk)
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(therapist, "ready")
    await receive_until(client, "ready")
    await client.send_json_to({"type": "message", "id": new_id(), "body": "before the switch"})
    await receive_until(client, "ack")
    await therapist.send_json_to({"type": "sync", "after": 0})
    assert len((await receive_until(therapist, "history"))["messages"]) == 1

    await database_sync_to_async(switching.switch_therapist)(
        partnership=partnership, reason="bond", consent_handoff=False
    )
    await therapist.send_json_to({"type": "sync", "after": 0})
    refused = await receive_until(therapist, "error")
    assert refused["code"] == "not_found"
    assert (await therapist.receive_output(timeout=3))["type"] == "websocket.close"
    # The client keeps their own history.
    await client.send_json_to({"type": "sync", "after": 0})
    assert len((await receive_until(client, "history"))["messages"]) == 1
    await client.disconnect()
