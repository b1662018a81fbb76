"""Across workers: logging out through one ASGI worker closes that session's socket on the
other at once (the end travels through the shared Redis channel layer), and only that
session's: the same person's other session, on the other worker too, stays open."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conversations.live import _csrf, login, next_of, open_socket, redis_env

pytestmark = pytest.mark.live


def log_out(base: str, cookie: str) -> int:
    name, value = cookie.split("=", 1)
    with httpx.Client(base_url=base, cookies={name: value}, timeout=20) as client:
        token = _csrf(client, "/conversations/")  # the log-out form in the page's header
        response = client.post(
            "/account/log-out/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": base + "/conversations/"},
        )
        return response.status_code


def test_log_out_on_one_worker_closes_that_sessions_socket_on_the_other(
    asgi_server_factory, partnership, client_user
):
    env = redis_env()
    first, second = asgi_server_factory(extra_env=env), asgi_server_factory(extra_env=env)
    leaving = login(first.url, client_user.email)
    staying = login(first.url, client_user.email)

    async def scenario() -> None:
        # given two sessions of the client, both with a socket on the second worker
        doomed = await open_socket(second.url, partnership.pk, leaving)
        kept = await open_socket(second.url, partnership.pk, staying)
        # when one session logs out through the first worker
        assert await asyncio.to_thread(log_out, first.url, leaving) == 302
        # then its socket is told and closed within seconds (the timer would take 30 s)
        error = await next_of(doomed, "error", timeout=5)
        assert error["code"] == "session_ended"
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await doomed.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        # and the other session's socket still works
        mid = uuid.uuid4().hex
        await kept.send(json.dumps({"type": "message", "id": mid, "body": "still here"}))
        assert (await next_of(kept, "ack"))["id"] == mid
        await kept.close()

    asyncio.run(scenario())
