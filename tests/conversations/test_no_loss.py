"""A worker is killed while messages flow: after the client reconnects to the other worker
and resends what was not acknowledged, every acknowledged message is stored exactly once
and reaches the partner."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conversations.live import login, next_of, open_socket, redis_env

pytestmark = pytest.mark.live


def test_acknowledged_messages_survive_a_killed_worker_exactly_once(
    asgi_server_factory, partnership, client_user, their_therapist
):
    from alliance.conversations.models import Message

    # A burst of 200 messages a second: about losing nothing, not about the abuse limit.
    env = {**redis_env(), "CONVERSATION_MESSAGES_PER_MINUTE": "100000"}
    doomed, survivor = asgi_server_factory(extra_env=env), asgi_server_factory(extra_env=env)
    client_cookie = login(doomed.url, client_user.email)
    therapist_cookie = login(survivor.url, their_therapist.email, second_factor=True)
    acked: dict[str, int] = {}
    outbox: dict[str, str] = {}  # sent, not yet acknowledged (what the browser script keeps)

    async def scenario() -> list[dict]:
        therapist = await open_socket(survivor.url, partnership.pk, therapist_cookie)
        client = await open_socket(doomed.url, partnership.pk, client_cookie)

        async def send_until_broken() -> None:
            i = 0
            try:
                while True:
                    mid = uuid.uuid4().hex
                    outbox[mid] = f"message {i}"
                    await client.send(
                        json.dumps({"type": "message", "id": mid, "body": outbox[mid]})
                    )
                    i += 1
                    await asyncio.sleep(0.005)
            except ConnectionClosed:
                return

        async def read_acks() -> None:
            try:
                async for raw in client:
                    frame = json.loads(raw)
                    if frame["type"] == "ack":
                        acked[frame["id"]] = frame["seq"]
                        outbox.pop(frame["id"], None)
                        if len(acked) == 60:
                            doomed.kill()  # mid-flow: frames are in flight, some unacknowledged
            except ConnectionClosed:
                return

        await asyncio.gather(send_until_broken(), read_acks())
        assert len(acked) >= 60
        # reconnect to the surviving worker and resend what was not acknowledged
        client = await open_socket(survivor.url, partnership.pk, client_cookie)
        for mid, body in list(outbox.items()):
            await client.send(json.dumps({"type": "message", "id": mid, "body": body}))
            ack = await next_of(client, "ack")
            assert ack["id"] == mid
            acked[mid] = ack["seq"]
        # the partner asks for everything after what it has seen, as the page does
        await therapist.send(json.dumps({"type": "sync", "after": 0}))
        history = []
        while True:
            batch = await next_of(therapist, "history")
            history += batch["messages"]
            if not batch["more"]:
                break
            await therapist.send(json.dumps({"type": "sync", "after": history[-1]["seq"]}))
        await client.close()
        await therapist.close()
        return history

    history = asyncio.run(scenario())
    ids = Counter(m["id"] for m in history)
    assert all(ids[mid] == 1 for mid in acked), "an acknowledged message is missing or doubled"
    assert max(ids.values()) == 1
    stored = Counter(Message.objects.values_list("client_id", flat=True))
    assert set(acked) <= set(stored) and max(stored.values()) == 1
    assert {m["seq"] for m in history if m["id"] in acked} == set(acked.values())
