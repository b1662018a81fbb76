"""The Redis channel layer with fewer round trips per conversation event.

channels-redis spends eight Redis round trips on every group message: four to send it
(expire old members, read the group, expire old messages, push) and four to receive it (a
clean-up script, the blocking pop, a copy into a backup queue and its removal). Live chat sends
one group message per chat message, so on a busy worker the Redis client was a third of the
CPU. This layer keeps channels-redis' storage format and names (workers running the stock
layer still understand each other's messages) and changes three things:

- **Local first.** Sockets of this process in the group get the event in memory; Redis carries
  it only to other processes (with one worker, a chat message never touches Redis).
- **One script per group send, pipelined.** Expiring members, reading the group and pushing
  one message per other process happen in a single Lua script, using Redis' bundled cmsgpack
  to add each process's channel list to the message. Group sends waiting at the same moment
  go out together in one pipeline on one connection (one round trip for the lot, in order),
  instead of each taking a pooled connection of its own (new connections cost a handshake
  and, in redis-py, a read of package metadata).
- **Blocking pops of many, no backup queue.** A receive pops up to 100 queued events at once
  (BZMPOP). The backup queue exists to redeliver a message popped by a receiver that was
  cancelled; here the pop is not cancelled with its caller (the next receive takes its
  result), so nothing popped is dropped. A worker that dies loses what was queued for its
  own sockets, which die with it; their pages resynchronise from the database on reconnect,
  where every acknowledged message is stored.

Only for a single Redis host (7.0 or later), the msgpack serializer and no symmetric
encryption (the settings here); otherwise it behaves exactly like channels-redis.
"""

from __future__ import annotations

import asyncio
import collections
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
        # Events for this process's sockets, handed to whichever receive holds the lock.
        self.local_events: collections.deque[tuple[list[str], dict[str, Any]]] = collections.deque()
        self.local_wake: asyncio.Event | None = None
        self.pending_pop: asyncio.Future[Any] | None = None
        self.popped: collections.deque[bytes] = collections.deque()
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
            self.local_events.append((list(local), dict(message)))
            self._wake_receiver()
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

    def _wake(self) -> asyncio.Event:
        if self.local_wake is None:
            self.local_wake = asyncio.Event()
        return self.local_wake

    def _wake_receiver(self) -> None:
        """Wake the receive waiting on Redis, so it hands over the local event now."""
        event, loop = self.local_wake, self.receive_event_loop
        if event is None:
            return  # nothing has waited yet; the next receive looks at local events first
        if loop is None or loop is asyncio.get_running_loop():
            event.set()
        else:  # a sync caller on a loop of its own
            loop.call_soon_threadsafe(event.set)

    async def receive_single(self, channel: str) -> tuple[Any, dict[str, Any]]:
        """The next event for this process (`channel` is its "specific.<prefix>!" name):
        one handed over in memory, or one popped from Redis."""
        if not self.fast or not channel.endswith("!"):
            return await super().receive_single(channel)  # type: ignore[no-any-return]
        wake = self._wake()
        key = self.prefix + channel
        while True:
            if self.local_events:
                channels, message = self.local_events.popleft()
                return channels, message
            if self.popped:
                message = self.deserialize(self.popped.popleft())
                return message.pop("__asgi_channel__", channel), message
            pop = self.pending_pop
            if pop is None or pop.get_loop() is not asyncio.get_running_loop():
                pop = self.pending_pop = asyncio.ensure_future(
                    self.connection(0).execute_command(
                        "BZMPOP", self.brpop_timeout, 1, key, "MIN", "COUNT", POP_BATCH
                    )
                )
                # If no receive ever takes it (shutdown), its error is not an unhandled one.
                pop.add_done_callback(lambda f: f.cancelled() or f.exception())
            wake.clear()
            waiter = asyncio.ensure_future(wake.wait())
            try:
                # asyncio.wait does not cancel `pop` if this receive is cancelled: the next
                # receive takes its result, so a popped message is never dropped.
                await asyncio.wait({pop, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if not pop.done():
                continue  # woken for a local event
            self.pending_pop = None
            result = pop.result()
            if result:  # [key, [[member, score], ...]]; None when the pop timed out
                self.popped.extend(member for member, _score in result[1])

    async def flush(self) -> None:
        self.local_groups.clear()
        self.local_events.clear()
        self.popped.clear()
        if self.pending_pop is not None:
            self.pending_pop.cancel()
            self.pending_pop = None
        await super().flush()
