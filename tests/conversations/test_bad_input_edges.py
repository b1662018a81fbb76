from __future__ import annotations

import pytest

from tests.conversations.conftest import open_socket, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_call_join_with_a_nul_in_the_location_is_refused(partnership, cookies):
    # PostgreSQL only: Jurisdiction.objects.filter(code="US\x00NY") raises DataError and
    # the socket dies instead of answering call.refused.
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await client.send_json_to({"type": "call.join", "mode": "video", "location": "US\u0000NY"})
    refused = await receive_until(client, "call.refused")
    assert refused["code"] == "bad_location"
    await client.disconnect()
