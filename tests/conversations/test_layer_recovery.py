"""The conversations channel layer outlives its Redis (each test has a redis-server of its
own, so it may flush, stop or restart it): a forgotten script is loaded again; after a
restart the groups come back and every socket is told, so it can catch up; a send while
Redis does not answer raises nothing and goes out once Redis is back. And the socket, told,
sends its page what it may have missed, from the database."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from alliance.conversations.layers import RedisChannelLayer
from tests.conversations.own_redis import own_redis


def pair(host: object) -> tuple[RedisChannelLayer, RedisChannelLayer]:
    """Two "worker processes" of one site: each its own client prefix, the same keys."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return (
        RedisChannelLayer(hosts=[host], prefix=prefix, capacity=100),
        RedisChannelLayer(hosts=[host], prefix=prefix, capacity=100),
    )


async def next_events(layer: RedisChannelLayer, channel: str, n: int, timeout: float) -> list:
    async with asyncio.timeout(timeout):
        return [await layer.receive(channel) for _ in range(n)]


@pytest.mark.asyncio
async def test_a_script_redis_forgot_is_loaded_again(tmp_path):
    with own_redis(tmp_path) as server:
        here, there = pair(server.url)
        theirs = await there.new_channel()
        await there.group_add("chat.1", theirs)
        await here.group_send("chat.1", {"type": "chat.message", "n": 1})
        assert (await next_events(there, theirs, 1, 5))[0]["n"] == 1
        # when Redis forgets its scripts (what a restart does to them)
        client = Redis.from_url(server.url)
        await client.script_flush()
        await client.aclose()
        # then the next send loads it again and goes through
        await here.group_send("chat.1", {"type": "chat.message", "n": 2})
        assert (await next_events(there, theirs, 1, 5))[0]["n"] == 2
        await here.flush()


@pytest.mark.asyncio
async def test_after_a_restart_groups_come_back_and_each_socket_is_told(tmp_path):
    with own_redis(tmp_path) as server:
        here, there = pair(server.url)
        theirs, other_tab = await there.new_channel(), await there.new_channel()
        for channel in (theirs, other_tab):
            await there.group_add("chat.2", channel)
        await here.group_send("chat.2", {"type": "chat.message", "n": 1})
        assert (await next_events(there, theirs, 1, 5))[0]["n"] == 1
        assert (await next_events(there, other_tab, 1, 5))[0]["n"] == 1
        # when Redis restarts empty: no groups, no script, no queued events
        server.restart()
        # then each socket of the worker is told (it then fetches what it missed) ...
        assert await next_events(there, theirs, 1, 15) == [{"type": "layer.recovered"}]
        assert await next_events(there, other_tab, 1, 5) == [{"type": "layer.recovered"}]
        # ... and live events reach it again, with no worker restarted
        await here.group_send("chat.2", {"type": "chat.message", "n": 2})
        assert (await next_events(there, theirs, 1, 5))[0]["n"] == 2
        assert (await next_events(there, other_tab, 1, 5))[0]["n"] == 2
        await here.flush()


@pytest.mark.asyncio
async def test_a_send_while_redis_does_not_answer_goes_out_when_it_does(tmp_path):
    # Redis stopped (not restarted): it keeps its groups, and answers again later.
    with own_redis(tmp_path) as server:
        host = {"address": server.url, "socket_timeout": 2, "retry": Retry(NoBackoff(), 1)}
        here, there = pair(host)
        mine, theirs = await here.new_channel(), await there.new_channel()
        mine_waiting = asyncio.ensure_future(here.receive(mine))  # each worker's pump runs
        got: list[dict] = []

        async def collect() -> None:
            while True:
                got.append(await there.receive(theirs))

        collector = asyncio.ensure_future(collect())
        await there.group_add("chat.3", theirs)
        await asyncio.sleep(0.2)
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            # when a socket of this worker sends while Redis does not answer, nothing raises
            await asyncio.wait_for(
                here.group_send("chat.3", {"type": "chat.message", "n": 1}), timeout=15
            )
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        # then, Redis back, the other worker gets the event, and is told it was cut off too
        async with asyncio.timeout(20):
            while len(got) < 2:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert sorted(e["type"] for e in got) == ["chat.message", "layer.recovered"]
        assert [e["n"] for e in got if e["type"] == "chat.message"] == [1]
        assert not mine_waiting.done()  # nothing for the sender's own socket
        mine_waiting.cancel()
        collector.cancel()
        await here.flush()


# --- the socket's side ------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_told_of_a_recovery_a_page_gets_what_it_missed_and_only_that(
    partnership, cookies, client_user, their_therapist
):
    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer

    from alliance.conversations import realtime, services
    from tests.conversations.conftest import new_id, open_socket, receive_until

    chat_page = await open_socket(cookies["client"], partnership.pk)
    call_page = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(chat_page, "ready")
    await receive_until(call_page, "ready")
    seen = []
    for text in ("one", "two"):
        await chat_page.send_json_to({"type": "message", "id": new_id(), "body": text})
        seen.append((await receive_until(chat_page, "ack"))["seq"])
    for _ in seen:
        await receive_until(call_page, "message")  # live, as usual
    await chat_page.send_json_to({"type": "sync", "after": seen[-1]})  # as the page does
    assert (await receive_until(chat_page, "history"))["messages"] == []

    # given messages stored while their live events were lost (announced to nobody)
    def store_unannounced() -> None:
        for text in ("three", "four"):
            services.post_message(
                partnership=partnership,
                sender=their_therapist,
                client_id=new_id(),
                body=text,
                announce=False,
            )

    await database_sync_to_async(store_unannounced)()
    assert await chat_page.receive_nothing(timeout=0.3)
    # when the channel layer says it is back
    await get_channel_layer().group_send(
        realtime.group_name(partnership.pk), {"type": "layer.recovered"}
    )
    # then the chat page gets exactly what it missed; the call page (never synced) nothing
    history = await receive_until(chat_page, "history")
    assert [m["body"] for m in history["messages"]] == ["three", "four"]
    assert await call_page.receive_nothing(timeout=0.3)
    await chat_page.disconnect()
    await call_page.disconnect()
