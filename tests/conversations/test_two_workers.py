"""Two ASGI workers sharing the Redis channel layer: a chat message and a call signal sent
to one worker reach a socket on the other."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from tests.conversations.live import login, next_of, open_socket, redis_env

pytestmark = pytest.mark.live


def test_chat_and_call_signals_cross_between_workers(
    asgi_server_factory, partnership, client_user, their_therapist
):
    # given two workers sharing Redis, the client on one and the therapist on the other
    env = redis_env()
    first, second = asgi_server_factory(extra_env=env), asgi_server_factory(extra_env=env)
    client_cookie = login(first.url, client_user.email)
    therapist_cookie = login(second.url, their_therapist.email, second_factor=True)

    async def scenario() -> None:
        client = await open_socket(first.url, partnership.pk, client_cookie)
        therapist = await open_socket(second.url, partnership.pk, therapist_cookie)
        # when the client writes, the therapist on the other worker receives it
        mid = uuid.uuid4().hex
        await client.send(json.dumps({"type": "message", "id": mid, "body": "Across workers"}))
        ack = await next_of(client, "ack")
        got = await next_of(therapist, "message")
        assert got["id"] == mid and got["seq"] == ack["seq"] and got["body"] == "Across workers"
        # and the reply and typing go the other way
        await therapist.send(json.dumps({"type": "typing"}))
        assert (await next_of(client, "typing"))["user"] == their_therapist.pk
        await therapist.send(
            json.dumps({"type": "message", "id": uuid.uuid4().hex, "body": "Received"})
        )
        assert (await next_of(client, "message"))["body"] == "Received"
        # an idle spell longer than the channel layer's blocking receive keeps the sockets
        await asyncio.sleep(6)
        # then a call: both join, and signals cross in both directions
        await therapist.send(json.dumps({"type": "call.join", "mode": "video"}))
        await next_of(therapist, "call.joined")
        await client.send(json.dumps({"type": "call.join", "mode": "video", "location": "US-NY"}))
        assert (await next_of(client, "call.joined"))["others"] == 1
        offer = {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}}
        await client.send(json.dumps({"type": "signal", "data": offer}))
        assert (await next_of(therapist, "signal"))["data"] == offer
        candidate = {
            "candidate": {
                "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            }
        }
        await therapist.send(json.dumps({"type": "signal", "data": candidate}))
        assert (await next_of(client, "signal"))["data"] == candidate
        await client.close()
        await therapist.close()

    asyncio.run(scenario())
