"""Storing the common chat message without leaving the socket's event loop (PostgreSQL).

`messages.post_message` runs in a database thread: a hop from the event loop and back for
every message, and the thread's Python work (Django's cursor, psycopg) competes for the GIL
with the loop serving every other socket. Under load, time stamps put about half of a
message's time in the server there, not in PostgreSQL. Most messages need nothing Django's
ORM gives: no crisis language, not a resend. For those, `post` runs the very same INSERT
statement (`messages.insert_sql`, with parameters prepared by Django; it also checks the
partnership, the data key and the abuse limit) on an asynchronous psycopg connection,
committing on its own, and the ack goes out after it returns. The first message of a window
also writes its follow-up tasks' rows (the e-mail notification and the alert
re-evaluation, `followups.follow_ups`) in the same transaction, built by Django's compiler
(`alliance.core.taskrows`), so no message commits without them. Anything else, and any
INSERT that stores nothing (a resend, an ended partnership, an erased client, a replaced
data key, the abuse limit), returns None: the caller takes the thread path, which decides
exactly as before.

Only on PostgreSQL; elsewhere, or with `CONVERSATION_STORE_ON_LOOP=0`, every message takes
the thread path. Each worker keeps one small pool per event loop
(`CONVERSATION_LOOP_POOL_SIZE` connections), opened on first use.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.utils import timezone

from alliance.checkins import safety
from alliance.conversations import followups, membership, messages
from alliance.conversations.models import Message
from alliance.core import taskrows

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def enabled() -> bool:
    if not settings.CONVERSATION_STORE_ON_LOOP:
        return False
    return bool(connections[router.db_for_write(Message)].vendor == "postgresql")


async def post(*, author: membership.Author, client_id: Any, body: Any) -> messages.Posted | None:
    """Store a plain message from the event loop; None when the thread path must decide.

    Bad input raises `membership.ConversationError` exactly as `post_message` does.
    """
    client_id, body = messages.clean_message(client_id=client_id, body=body)
    if author.is_client and safety.crisis_phrases(body):
        return None  # safety first: the alert is raised in the message's transaction
    now = timezone.now()
    connection = connections[router.db_for_write(Message)]
    params = messages.insert_params(author, client_id, body, now, connection, limited=True)
    sql = messages.insert_sql(connection, limited=True)
    due = followups.follow_ups_due(author)
    async with (await _pool()).connection() as conn:
        if not due:
            cursor = await conn.execute(sql, params)
            row = await cursor.fetchone()
            seq = None if row is None else int(row[0])
        else:
            seq = await _insert_with_follow_ups(conn, author, sql, params, due, connection)
    if seq is None:
        return None
    message = messages.inserted_message(author, seq, client_id, body, now)
    return messages.Posted(message, True, (), False)


async def _insert_with_follow_ups(
    conn: Any,
    author: membership.Author,
    sql: str,
    params: list[Any],
    due: tuple[str, ...],
    connection: Any,
) -> int | None:
    """The first message of a window: the message and its follow-up tasks' rows in one
    transaction, as `post_message` writes them. None (and nothing written) when the insert
    stores nothing or a task cannot be written as a row: the thread path decides."""
    import psycopg

    inserts: list[taskrows.RowInsert] = []
    pending: list[followups.FollowUp] = []
    committed = False
    async with conn.transaction():  # psycopg.Rollback leaves the block, rolled back
        cursor = await conn.execute(sql, params)
        row = await cursor.fetchone()
        if row is None:
            raise psycopg.Rollback()
        seq = int(row[0])
        pending = followups.follow_ups(author, seq, due)
        for follow_up in pending:
            found = taskrows.row_insert(follow_up.task, follow_up.args, connection)
            if found is None:
                raise psycopg.Rollback()
            inserts.append(found)
        async with conn.pipeline():  # the rows in one round trip
            for insert in inserts:
                await conn.execute(insert.sql, insert.params)
        committed = True
    if not committed:
        return None
    followups.mark_covered(pending)
    for insert in inserts:
        taskrows.announce(insert)
    return seq


async def _pool() -> Any:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        from psycopg_pool import AsyncConnectionPool

        params = connections[router.db_for_write(Message)].get_connection_params()
        params.pop("cursor_factory", None)  # Django's (sync) cursor class
        params["prepare_threshold"] = 5  # psycopg's default: the INSERT is prepared once
        pool = _pools[loop] = AsyncConnectionPool(
            kwargs={**params, "autocommit": True},
            min_size=1,
            max_size=settings.CONVERSATION_LOOP_POOL_SIZE,
            open=False,
            name="conversations-loop",
        )
        await pool.open()
    return pool


async def close() -> None:
    """Close this loop's pool (the worker is shutting down)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()
