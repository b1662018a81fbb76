"""Live chat survives a Redis restart: two ASGI workers share a redis-server of the test's
own; it is killed while the client and the therapist chat across the workers, a message is
sent while it is down, and it comes back empty (no script, no groups, nothing queued). No
socket closes, no worker restarts, every message reaches the partner (what was stored while
Redis was away is fetched again from the database, sent to the page unasked) and live
delivery resumes in both directions."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from tests.conversations.live import login, open_socket
from tests.conversations.own_redis import own_redis

pytestmark = pytest.mark.live


class Page:
    """A socket and everything it received, as the chat page's script keeps it."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.frames: list[dict[str, Any]] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            self.frames.append(json.loads(raw))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]

    def bodies(self) -> list[str]:
        shown = [m["body"] for m in self.of("message")]
        for history in self.of("history"):
            shown += [m["body"] for m in history["messages"]]
        return shown

    async def wait_for(self, test: Any, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while not test():
                await asyncio.sleep(0.02)

    async def send(self, body: str) -> dict[str, Any]:
        mid = uuid.uuid4().hex
        await self.socket.send(json.dumps({"type": "message", "id": mid, "body": body}))
        await self.wait_for(lambda: any(a["id"] == mid for a in self.of("ack")))
        return next(a for a in self.of("ack") if a["id"] == mid)

    async def sync(self, after: int = 0) -> None:
        before = len(self.of("history"))
        await self.socket.send(json.dumps({"type": "sync", "after": after}))
        await self.wait_for(lambda: len(self.of("history")) > before)


def test_live_chat_resumes_after_a_redis_restart_with_nothing_lost(
    asgi_server_factory, partnership, client_user, their_therapist, tmp_path
):
    from alliance.conversations.models import Message

    with own_redis(tmp_path) as redis:
        # given two workers on the test's own Redis: the client on one, the therapist on the
        # other, both pages synced as the page's script does on connecting
        env = {"REDIS_URL": redis.url, "CONVERSATION_GROUP_PREFIX": f"t{uuid.uuid4().hex[:12]}"}
        first, second = asgi_server_factory(extra_env=env), asgi_server_factory(extra_env=env)
        client_cookie = login(first.url, client_user.email)
        therapist_cookie = login(second.url, their_therapist.email, second_factor=True)

        async def scenario() -> None:
            client = Page(await open_socket(first.url, partnership.pk, client_cookie))
            therapist = Page(await open_socket(second.url, partnership.pk, therapist_cookie))
            await client.sync()
            await therapist.sync()
            sent: list[str] = []
            for i in range(5):
                sent.append(f"before {i}")
                await client.send(sent[-1])
                await therapist.wait_for(lambda: sent[-1] in therapist.bodies(), timeout=10)

            # when Redis dies, a message is sent while it is down, and it comes back empty
            redis.kill()
            sent.append("while Redis is down")
            await client.send(sent[-1])  # stored and acknowledged all the same
            await asyncio.sleep(1)
            redis.start()
            sent.append("as it comes back")
            await client.send(sent[-1])

            # then the therapist's page is sent what it missed, unasked ...
            await therapist.wait_for(lambda: set(sent) <= set(therapist.bodies()))
            # ... and live delivery resumes, both ways, with no worker restarted
            live_before = len(therapist.of("message"))
            for i in range(10):
                sent.append(f"after {i}")
                await client.send(sent[-1])
                await therapist.wait_for(
                    lambda: sent[-1] in [m["body"] for m in therapist.of("message")], timeout=10
                )
            assert len(therapist.of("message")) - live_before == 10
            await therapist.send("and back")
            await client.wait_for(
                lambda: "and back" in [m["body"] for m in client.of("message")], timeout=10
            )
            # no socket was closed: the same two connections did all of it
            for page in (client, therapist):
                assert page.socket.state is State.OPEN
                assert not page.reader.done()
                assert not page.of("error"), page.of("error")
            # every message reached the therapist (the history push may repeat one the page
            # already shows; the page skips it by its number)
            assert set(sent) <= set(therapist.bodies())
            await client.socket.close()
            await therapist.socket.close()

        asyncio.run(scenario())

    # and each message is stored exactly once
    bodies = list(Message.objects.values_list("body", flat=True))
    assert sorted(bodies) == sorted(
        [f"before {i}" for i in range(5)]
        + ["while Redis is down", "as it comes back"]
        + [f"after {i}" for i in range(10)]
        + ["and back"]
    )
