from __future__ import annotations

import pytest

from tests.conversations.conftest import open_socket, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_call_join_with_a_nul_in_the_location_is_refused(partnership, cookies):
    # A NUL carried by a JSON escape is refused at the frame, before any lookup (on
    # PostgreSQL Jurisdiction.objects.filter(code="US\x00NY") would raise DataError and kill
    # the socket), with the socket kept and no call opened.
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await client.send_json_to({"type": "call.join", "mode": "video", "location": "US\u0000NY"})
    refused = await receive_until(client, "error")
    assert refused["code"] == "bad_text"
    await client.send_json_to({"type": "call.join", "mode": "video", "location": "US-NY"})
    assert (await receive_until(client, "call.joined"))["mode"] == "video"
    await client.disconnect()
