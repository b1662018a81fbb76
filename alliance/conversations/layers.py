"""The Redis channel layer with fewer round trips and wake-ups per conversation event.

channels-redis spends eight Redis round trips on every group message: four to send it
(expire old members, read the group, expire old messages, push) and four to receive it (a
clean-up script, the blocking pop, a copy into a backup queue and its removal). And every
socket of a worker waits on two tasks at once (its own buffer, and a lock to become the one
receive that pops from Redis for all of them), so each delivered event also wakes a second
socket, which takes the lock and pops next. Live chat sends one group message per chat
message, so on a busy worker this was a third of the CPU. This layer keeps channels-redis'
storage format and names (workers running the stock layer still understand each other's
messages) and changes four things:

- **Local first.** Sockets of this process in the group get the event in memory; Redis carries
  it only to other processes (with one worker, the script finds none and pushes nothing).
  An event marked `"exclude": <channel>` (the sender's own socket) is not handed to that
  channel at all.
- **One script per group send, pipelined.** Expiring members, reading the group and pushing
  one message per other process happen in a single Lua script, using Redis' bundled cmsgpack
  to add each process's channel list to the message. Group sends waiting at the same moment
  go out together in one pipeline on one connection (one round trip for the lot, in order),
  instead of each taking a pooled connection of its own (new connections cost a handshake
  and, in redis-py, a read of package metadata).
- **One pump per process.** A single task pops this process's queue in Redis, many events at
  a time (BZMPOP), and puts each into the buffers of the sockets it names; a socket's receive
  waits on its own buffer only. No lock, no second socket woken, and nothing popped can be
  dropped with a cancelled receive (the pump is nobody's receive). If Redis fails, every
  waiting receive gets the error, as with channels-redis, so sockets close and their pages
  reconnect and resynchronise from the database, where every acknowledged message is stored.
- **No backup queue.** It exists to redeliver a message popped by a receive that was
  cancelled; the pump is not cancelled with a receive. A worker that dies loses what was
  queued for its own sockets, which die with it.

Only for a single Redis host (7.0 or later), the msgpack serializer and no symmetric
encryption (the settings here); otherwise it behaves exactly like channels-redis.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import weakref
from typing import Any

from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer

# KEYS[1]: the group. ARGV: now, group expiry, message expiry, capacity, key prefix, this
# process's channel-name head, the serialized message less its "__asgi_channel__" value.
GROUP_SEND = """
local now = tonumber(ARGV[1])
local head = ARGV[6]
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - tonumber(ARGV[2]))
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local targets, order = {}, {}
for _, channel in ipairs(members) do
  if string.sub(channel, 1, #head) ~= head then
    local bang = string.find(channel, '!', 1, true)
    local key = ARGV[5] .. (bang and string.sub(channel, 1, bang) or channel)
    if not targets[key] then
      targets[key] = {}
      table.insert(order, key)
    end
    table.insert(targets[key], channel)
  end
end
local over = 0
for _, key in ipairs(order) do
  redis.call('ZREMRANGEBYSCORE', key, 0, now - tonumber(ARGV[3]))
  if redis.call('ZCOUNT', key, '-inf', '+inf') < tonumber(ARGV[4]) then
    redis.call('ZADD', key, now, ARGV[7] .. cmsgpack.pack(targets[key]))
    redis.call('EXPIRE', key, tonumber(ARGV[3]))
  else
    over = over + 1
  end
end
return over
"""

log = logging.getLogger(__name__)

EMPTY_LIST = b"\x90"  # msgpack's empty array: the placeholder the script replaces
POP_BATCH = 100


class RedisChannelLayer(StockRedisChannelLayer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast = (
            self.ring_size == 1
            and not self.channel_capacity
            and getattr(self._serializer, "crypter", None) is None
            and type(self._serializer).__name__ == "MsgPackSerializer"
        )
        self.local_head = f"specific.{self.client_prefix}!"
        self.local_groups: dict[str, set[str]] = collections.defaultdict(set)
        # The task popping this process's queue in Redis, and the loop it runs on.
        self.pump: asyncio.Task[None] | None = None
        self.receive_loop: asyncio.AbstractEventLoop | None = None
        # Group sends waiting to go out, and the task sending them, per event loop (a sync
        # caller outside the server's loop gets a loop of its own from async_to_sync).
        self.outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]] = (
            weakref.WeakKeyDictionary()
        )
        self.senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self.script_sha: str | None = None

    # --- groups -------------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        if channel.startswith(self.local_head):
            self.local_groups[group].add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        members = self.local_groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.local_groups[group]
        await super().group_discard(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if not self.fast:
            await super().group_send(group, message)
            return
        assert self.require_valid_group_name(group), "Group name not valid"
        local = self.local_groups.get(group)
        if local:
            # The sender's own socket skips events marked `"exclude": <its channel>`
            # (consumers.py); not handing them over spares a wake-up per chat message.
            skip = message.get("exclude")
            targets = [channel for channel in local if channel != skip]
            if targets:
                self._deliver_local(targets, dict(message))
        blob = self.serialize({**message, "__asgi_channel__": []})
        assert blob.endswith(EMPTY_LIST)
        args = [
            time.time(),
            self.group_expiry,
            int(self.expiry),
            self.capacity,
            self.prefix,
            self.local_head,
            blob[: -len(EMPTY_LIST)],
        ]
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.outboxes.setdefault(loop, []).append((self._group_key(group), args, done))
        sender = self.senders.get(loop)
        if sender is None or sender.done():
            self.senders[loop] = asyncio.ensure_future(self._send_outbox(loop))
        await done

    async def _send_outbox(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send what has queued up, as one pipeline per round trip, until nothing is left."""
        while self.outboxes.get(loop):
            batch, self.outboxes[loop] = self.outboxes[loop], []
            try:
                await self._run_scripts(batch)
            except Exception as exc:  # handed to every sender waiting on this batch
                for _key, _args, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _key, _args, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _run_scripts(self, batch: list[tuple[bytes, list[Any], Any]]) -> None:
        connection = self.connection(0)
        if self.script_sha is None:
            self.script_sha = await connection.script_load(GROUP_SEND)
        pipe = connection.pipeline(transaction=False)
        for key, args, _done in batch:
            pipe.evalsha(self.script_sha, 1, key, *args)
        results = await pipe.execute(raise_on_error=False)
        errors = [r for r in results if isinstance(r, Exception)]
        if errors and all("NOSCRIPT" in str(e) for e in errors):
            # Redis restarted and forgot the script: load it again and resend those.
            self.script_sha = await connection.script_load(GROUP_SEND)
            again = [item for item, r in zip(batch, results, strict=True) if r in errors]
            pipe = connection.pipeline(transaction=False)
            for key, args, _done in again:
                pipe.evalsha(self.script_sha, 1, key, *args)
            errors = [
                r for r in await pipe.execute(raise_on_error=False) if isinstance(r, Exception)
            ]
        if errors:
            raise errors[0]

    # --- receiving ----------------------------------------------------------------------

    def _deliver(self, channels: list[str], message: Any) -> None:
        for channel in channels:
            self.receive_buffer[channel].put_nowait(message)

    def _deliver_local(self, channels: list[str], message: dict[str, Any]) -> None:
        """Into this process's buffers, on the loop their receives wait on (a sync caller,
        such as the plain HTTP form, sends from a loop of its own in another thread)."""
        loop = self.receive_loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and loop is not running and not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, channels, message)
        else:
            self._deliver(channels, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        if not self.fast or "!" not in channel:
            return await super().receive(channel)  # type: ignore[no-any-return]
        assert self.require_valid_channel_name(channel)
        self._start_pump()
        buffer = self.receive_buffer[channel]
        try:
            message = await buffer.get()
        except asyncio.CancelledError:
            if buffer.empty() and self.receive_buffer.get(channel) is buffer:
                del self.receive_buffer[channel]  # the socket is closing (as channels-redis)
            raise
        if isinstance(message, BaseException):
            raise message
        return message  # type: ignore[no-any-return]

    def _start_pump(self) -> None:
        loop = asyncio.get_running_loop()
        pump = self.pump
        if pump is not None and not pump.done():
            if pump.get_loop() is loop:
                return
            if not pump.get_loop().is_closed():
                raise RuntimeError(
                    "Two event loops are trying to receive() on one channel layer at once!"
                )
        self.receive_loop = loop
        self.pump = loop.create_task(self._pump(), name="channel-layer-pump")

    async def _pump(self) -> None:
        """Pop this process's events from Redis and hand each to the sockets it names."""
        key = self.prefix + self.local_head
        try:
            while True:
                result = await self.connection(0).execute_command(
                    "BZMPOP", self.brpop_timeout, 1, key, "MIN", "COUNT", POP_BATCH
                )
                if not result:  # [key, [[member, score], ...]]; None when the pop timed out
                    continue
                for member, _score in result[1]:
                    message = self.deserialize(member)
                    targets = message.pop("__asgi_channel__", None)
                    self._deliver(targets if isinstance(targets, list) else [targets], message)
        except Exception as exc:  # every waiting socket learns of it; the next receive restarts
            log.warning("channel layer pump stopped: %r", exc)
            for channel in [c for c in self.receive_buffer if "!" in c]:
                error = ConnectionError(f"the channel layer lost Redis: {exc!r}")
                error.__cause__ = exc
                self._deliver([channel], error)

    async def flush(self) -> None:
        self.local_groups.clear()
        if self.pump is not None and self.pump.get_loop() is asyncio.get_running_loop():
            self.pump.cancel()
        self.pump = None
        await super().flush()
