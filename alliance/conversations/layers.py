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
  dropped with a cancelled receive (the pump is nobody's receive).
- **It outlives Redis.** A restarted Redis has forgotten the script, every group and every
  queued event. A missing script is told by its error type (`NoScriptError`; redis-py
  strips the "NOSCRIPT" text) and loaded again. Losing Redis is told by any error of a
  command (a failed group send is first retried at once, on a fresh connection), and a
  restart also by the server's run id, which the pump reads about once a second (with
  retries configured in the hosts, redis-py reconnects by itself and raises nothing).
  Sockets stay open: the pump retries with backoff, group sends made meanwhile are kept
  (up to `UNSENT_MAX`) and sent once more when Redis answers, memberships are kept in
  memory, and on recovery the layer registers this process's groups again, sends what it
  kept, and hands each of its sockets a `layer.recovered` event, on which they fetch from
  the database what they may have missed (consumers on this layer handle that event).
  Every acknowledged message is stored there before it is announced, so nothing is lost.
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
from redis.exceptions import NoScriptError, RedisError

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
POP_TIMEOUT = 1  # seconds a pop blocks: how often an idle pump looks at the server
CHECK_EVERY = 1.0  # seconds between reads of the server's run id (to tell a restart)
MAX_BACKOFF = 5.0  # longest wait between attempts while Redis does not answer
UNSENT_MAX = 1000  # group sends kept while Redis is away (the oldest go first)
RECOVERED = "layer.recovered"  # the event each local socket gets when Redis is back
# Errors of Redis and of the network to it (redis-py's ConnectionError is a RedisError,
# the built-in one an OSError).
REDIS_ERRORS = (RedisError, OSError)


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
        # Recovery state (the module docstring): Redis failed since it was last known good;
        # its run id; when it was last read (monotonic); sends and discards still to make.
        self.lost = False
        self.server_id: str | None = None
        self.checked_at = 0.0
        self.unsent: collections.deque[tuple[bytes, list[Any]]] = collections.deque(
            maxlen=UNSENT_MAX
        )
        self.undiscarded: set[tuple[str, str]] = set()

    def _recovers(self) -> bool:
        """A running pump will bring this process back after a Redis failure."""
        pump = self.pump
        return (
            self.fast and pump is not None and not pump.done() and not pump.get_loop().is_closed()
        )

    def _lose(self, exc: BaseException) -> None:
        if not self.lost:
            log.warning("channel layer lost Redis (%r); sockets stay open, retrying", exc)
        self.lost = True

    # --- groups -------------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        if not (channel.startswith(self.local_head) and self._recovers()):
            await super().group_add(group, channel)
            if channel.startswith(self.local_head):
                self.local_groups[group].add(channel)
            return
        assert self.require_valid_group_name(group), "Group name not valid"
        # Kept in memory first: if Redis is away, recovery registers it.
        self.local_groups[group].add(channel)
        self.undiscarded.discard((group, channel))
        if self.lost:
            return
        try:
            await super().group_add(group, channel)
        except REDIS_ERRORS as exc:
            self._lose(exc)

    async def group_discard(self, group: str, channel: str) -> None:
        members = self.local_groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.local_groups[group]
        if not (channel.startswith(self.local_head) and self._recovers()):
            await super().group_discard(group, channel)
            return
        if not self.lost:
            try:
                await super().group_discard(group, channel)
                return
            except REDIS_ERRORS as exc:
                self._lose(exc)
        self.undiscarded.add((group, channel))  # removed from Redis on recovery

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
        if self.lost and self._recovers():
            self._keep_unsent(self._group_key(group), args)  # sent when Redis is back
            return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.outboxes.setdefault(loop, []).append((self._group_key(group), args, done))
        sender = self.senders.get(loop)
        if sender is None or sender.done():
            self.senders[loop] = asyncio.ensure_future(self._send_outbox(loop))
        await done

    def _keep_unsent(self, key: bytes, args: list[Any]) -> None:
        if len(self.unsent) == UNSENT_MAX:
            log.warning("more than %d group sends while Redis is away: the oldest go", UNSENT_MAX)
        self.unsent.append((key, args))

    async def _send_outbox(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send what has queued up, as one pipeline per round trip, until nothing is left."""
        while self.outboxes.get(loop):
            batch, self.outboxes[loop] = self.outboxes[loop], []
            items = [(key, args) for key, args, _done in batch]
            try:
                try:
                    errors = await self._run_scripts(items)
                except REDIS_ERRORS:
                    # Once more at once: a pooled connection that died with a restarted Redis
                    # is dropped, and the next one connects afresh.
                    errors = await self._run_scripts(items)
            except Exception as exc:  # the whole round trip failed: each sender's error
                errors = [exc] * len(batch)
            for (key, args, done), error in zip(batch, errors, strict=True):
                if done.done():
                    continue
                if error is None:
                    done.set_result(None)
                elif isinstance(error, REDIS_ERRORS) and self._recovers():
                    # Kept and sent again once Redis answers; the sockets it was for catch up
                    # on recovery. The sender's socket stays open.
                    self._lose(error)
                    self._keep_unsent(key, args)
                    done.set_result(None)
                else:
                    done.set_exception(error)

    async def _run_scripts(self, items: list[tuple[bytes, list[Any]]]) -> list[Exception | None]:
        """Run the group-send script for each (group key, args) in one pipeline; returns
        each one's error or None. Raises what fails the whole round trip (the connection)."""
        connection = self.connection(0)
        if self.script_sha is None:
            self.script_sha = await connection.script_load(GROUP_SEND)
        results = await self._evalsha_all(connection, items)
        missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
        if missing:
            # Redis restarted (or its scripts were flushed) and forgot the script: load it
            # again and resend those.
            self.script_sha = await connection.script_load(GROUP_SEND)
            again = await self._evalsha_all(connection, [items[i] for i in missing])
            for i, result in zip(missing, again, strict=True):
                results[i] = result
        return [r if isinstance(r, Exception) else None for r in results]

    async def _evalsha_all(
        self, connection: Any, items: list[tuple[bytes, list[Any]]]
    ) -> list[Any]:
        pipe = connection.pipeline(transaction=False)
        for key, args in items:
            pipe.evalsha(self.script_sha, 1, key, *args)
        return list(await pipe.execute(raise_on_error=False))

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
        """Pop this process's events from Redis and hand each to the sockets it names; bring
        the process back after Redis fails or restarts. Runs until the loop ends."""
        key = self.prefix + self.local_head
        delay = 0.0
        while True:
            try:
                connection = self.connection(0)
                if self.lost or time.monotonic() - self.checked_at >= CHECK_EVERY:
                    await self._check_server(connection)
                result = await connection.execute_command(
                    "BZMPOP", POP_TIMEOUT, 1, key, "MIN", "COUNT", POP_BATCH
                )
                delay = 0.0
                if not result:  # [key, [[member, score], ...]]; None when the pop timed out
                    continue
                for member, _score in result[1]:
                    message = self.deserialize(member)
                    targets = message.pop("__asgi_channel__", None)
                    self._deliver(targets if isinstance(targets, list) else [targets], message)
            except Exception as exc:  # the pump must not die: every socket waits on it
                # ... unless it is being cancelled (the loop is ending): redis-py can turn the
                # cancellation of a blocking pop into a connection error, and retrying then
                # would keep the loop from ever closing.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from exc
                self._lose(exc)
                delay = min(max(delay * 2, 0.1), MAX_BACKOFF)
                await asyncio.sleep(delay)

    async def _check_server(self, connection: Any) -> None:
        """Tell a restarted Redis by its run id; recover after a restart or a failure."""
        run_id = (await connection.info("server")).get("run_id")
        restarted = self.server_id is not None and run_id != self.server_id
        if restarted:
            log.warning("Redis restarted: registering this worker's groups again")
            self.script_sha = None
        self.server_id = run_id
        if restarted or self.lost:
            await self._recover(connection)
        self.checked_at = time.monotonic()

    async def _recover(self, connection: Any) -> None:
        """Register this process's groups again, drop the memberships that could not be
        dropped, send once more what could not be sent, and tell the local sockets."""
        now = time.time()
        pipe = connection.pipeline(transaction=False)
        for group, channels in list(self.local_groups.items()):
            key = self._group_key(group)
            pipe.zadd(key, dict.fromkeys(channels, now))
            pipe.expire(key, self.group_expiry)
        undiscarded = list(self.undiscarded)
        for group, channel in undiscarded:
            pipe.zrem(self._group_key(group), channel)
        await pipe.execute()
        self.undiscarded.difference_update(undiscarded)
        self.lost = False
        unsent = []
        while self.unsent:
            key, args = self.unsent.popleft()
            args[0] = time.time()  # not taken for expired by the receiving worker
            unsent.append((key, args))
        if unsent:
            try:
                failed = sum(e is not None for e in await self._run_scripts(unsent))
            except REDIS_ERRORS as exc:
                self._lose(exc)
                failed = len(unsent)
            if failed:
                log.warning("%d group sends failed again; their sockets catch up", failed)
        # What this process's sockets may have missed is in the database: each fetches it.
        for channel in set().union(*self.local_groups.values()):
            self._deliver([channel], {"type": RECOVERED})
        log.warning(
            "channel layer back on Redis: %d groups registered again", len(self.local_groups)
        )

    async def flush(self) -> None:
        self.local_groups.clear()
        if self.pump is not None and self.pump.get_loop() is asyncio.get_running_loop():
            self.pump.cancel()
        self.pump = None
        self.lost = False
        self.server_id = None
        self.unsent.clear()
        self.undiscarded.clear()
        await super().flush()
