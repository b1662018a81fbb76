"""The conversations channel layer against the real Redis: events reach sockets of the same
process in memory and of other processes through Redis, once each; a discarded socket gets
nothing; a message popped while its receiver is cancelled is not dropped."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync

from alliance.conversations.layers import RedisChannelLayer
from tests.conversations.live import REDIS_URL
from tests.conversations.own_redis import OwnRedis


def worker() -> RedisChannelLayer:
    # Each layer instance is one "worker process" (its own client prefix).
    return RedisChannelLayer(hosts=[REDIS_URL], prefix=f"t{uuid.uuid4().hex[:10]}", capacity=100)


async def shared_pair() -> tuple[RedisChannelLayer, RedisChannelLayer]:
    first, second = worker(), worker()
    second.prefix = first.prefix  # the same Redis keys, like two workers of one site
    return first, second


async def nothing_for(layer: RedisChannelLayer, channel: str) -> bool:
    try:
        await asyncio.wait_for(layer.receive(channel), timeout=0.3)
    except TimeoutError:
        return True
    return False


@pytest.mark.asyncio
async def test_group_events_reach_local_and_remote_sockets_once():
    here, there = await shared_pair()
    assert here.fast and there.fast
    mine, other_tab = await here.new_channel(), await here.new_channel()
    theirs = await there.new_channel()
    for layer, channel in ((here, mine), (here, other_tab), (there, theirs)):
        await layer.group_add("chat.1", channel)
    await here.group_send("chat.1", {"type": "chat.message", "text": "hello"})
    for layer, channel in ((here, mine), (here, other_tab), (there, theirs)):
        got = await asyncio.wait_for(layer.receive(channel), timeout=3)
        assert got == {"type": "chat.message", "text": "hello"}
    # once each: nothing more on any socket (the local ones got no Redis copy)
    for layer, channel in ((here, mine), (here, other_tab), (there, theirs)):
        assert await nothing_for(layer, channel)
    await here.flush()


@pytest.mark.asyncio
async def test_events_from_another_worker_keep_their_order():
    here, there = await shared_pair()
    theirs = await there.new_channel()
    await there.group_add("chat.2", theirs)
    for i in range(20):
        await here.group_send("chat.2", {"type": "chat.message", "n": i})
    got = [(await asyncio.wait_for(there.receive(theirs), timeout=3))["n"] for _ in range(20)]
    assert got == list(range(20))
    await here.flush()


@pytest.mark.asyncio
async def test_a_discarded_socket_gets_nothing():
    here, there = await shared_pair()
    mine, theirs = await here.new_channel(), await there.new_channel()
    await here.group_add("chat.3", mine)
    await there.group_add("chat.3", theirs)
    await here.group_discard("chat.3", mine)
    await there.group_discard("chat.3", theirs)
    await here.group_send("chat.3", {"type": "chat.message"})
    assert await nothing_for(here, mine)
    assert await nothing_for(there, theirs)
    await here.flush()


@pytest.mark.asyncio
async def test_a_message_popped_for_a_cancelled_receive_is_not_dropped():
    here, there = await shared_pair()
    theirs = await there.new_channel()
    await there.group_add("chat.4", theirs)
    waiting = asyncio.ensure_future(there.receive(theirs))
    await asyncio.sleep(0.2)  # its blocking pop is now in flight
    waiting.cancel()
    await here.group_send("chat.4", {"type": "chat.message", "text": "kept"})
    got = await asyncio.wait_for(there.receive(theirs), timeout=3)
    assert got["text"] == "kept"
    await here.flush()


@pytest.mark.asyncio
async def test_a_local_event_wakes_the_receive_that_waits_on_redis():
    here = worker()
    mine = await here.new_channel()
    await here.group_add("chat.5", mine)
    waiting = asyncio.ensure_future(here.receive(mine))
    await asyncio.sleep(0.2)  # it holds the receive lock, blocked on Redis for up to 5 s
    await here.group_send("chat.5", {"type": "chat.message"})
    got = await asyncio.wait_for(waiting, timeout=1)
    assert got == {"type": "chat.message"}
    await here.flush()


def test_sync_callers_on_loops_of_their_own_send_again_and_again():
    # The plain HTTP form broadcasts through async_to_sync; outside the server's loop each
    # call runs on a new loop, and none may wait on a sender task of an earlier one.
    here, there = async_to_sync(shared_pair)()
    channel = async_to_sync(there.new_channel)()
    async_to_sync(there.group_add)("chat.6", channel)
    for i in range(3):
        async_to_sync(here.group_send)("chat.6", {"type": "chat.message", "n": i})

    async def collect() -> list[int]:
        return [(await asyncio.wait_for(there.receive(channel), 3))["n"] for _ in range(3)]

    assert async_to_sync(collect)() == [0, 1, 2]
    async_to_sync(here.flush)()


@pytest.mark.asyncio
async def test_a_local_event_sent_from_another_thread_reaches_the_waiting_receive():
    # The plain HTTP form broadcasts from a database thread, on a loop of that thread.
    here = worker()
    mine = await here.new_channel()
    await here.group_add("chat.7", mine)
    waiting = asyncio.ensure_future(here.receive(mine))
    await asyncio.sleep(0.1)
    await asyncio.to_thread(async_to_sync(here.group_send), "chat.7", {"type": "chat.message"})
    assert await asyncio.wait_for(waiting, timeout=1) == {"type": "chat.message"}
    await here.flush()


@pytest.mark.asyncio
async def test_an_event_for_one_socket_leaves_the_others_waiting():
    here, there = await shared_pair()
    channels = [await there.new_channel() for _ in range(20)]
    waiting = {c: asyncio.ensure_future(there.receive(c)) for c in channels}
    await there.group_add("chat.8", channels[0])
    await here.group_send("chat.8", {"type": "chat.message"})
    assert await asyncio.wait_for(waiting.pop(channels[0]), timeout=3) == {"type": "chat.message"}
    await asyncio.sleep(0.1)
    assert not any(task.done() for task in waiting.values())
    for task in waiting.values():
        task.cancel()
    await here.flush()


@pytest.mark.asyncio
async def test_losing_redis_keeps_receives_waiting_and_tells_them_when_it_is_back(tmp_path):
    # Sockets stay open while Redis is away (events between sockets of one worker still
    # flow); when it answers, each is told, and fetches what it missed from the database.
    server = OwnRedis(tmp_path)  # not started: Redis is away
    prefix = f"t{uuid.uuid4().hex[:10]}"
    cut_off = RedisChannelLayer(hosts=[server.url], prefix=prefix)
    first, second = await cut_off.new_channel(), await cut_off.new_channel()
    waiting = [asyncio.ensure_future(cut_off.receive(c)) for c in (first, second)]
    await asyncio.sleep(0.1)
    for channel in (first, second):
        await cut_off.group_add("chat.10", channel)  # does not raise
    await cut_off.group_send("chat.10", {"type": "chat.message", "exclude": first})
    assert await asyncio.wait_for(waiting.pop(), timeout=1) == {
        "type": "chat.message",
        "exclude": first,
    }
    waiting.append(asyncio.ensure_future(cut_off.receive(second)))
    await asyncio.sleep(1)
    assert not any(task.done() for task in waiting)  # no error handed to any socket
    server.start()
    try:
        got = await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)
        assert got == [{"type": "layer.recovered"}] * 2
        # and its groups are registered: another worker reaches its sockets
        other = RedisChannelLayer(hosts=[server.url], prefix=prefix)
        await other.group_send("chat.10", {"type": "chat.message", "n": 1})
        assert (await asyncio.wait_for(cut_off.receive(first), timeout=5))["n"] == 1
        await cut_off.flush()
    finally:
        server.kill()


@pytest.mark.asyncio
async def test_an_event_is_not_handed_to_the_channel_it_excludes():
    here = worker()
    sender, other_tab = await here.new_channel(), await here.new_channel()
    for channel in (sender, other_tab):
        await here.group_add("chat.9", channel)
    await here.group_send("chat.9", {"type": "chat.message", "exclude": sender})
    assert (await asyncio.wait_for(here.receive(other_tab), timeout=1))["exclude"] == sender
    assert await nothing_for(here, sender)
    await here.flush()
