"""The conversation sockets' own thread pool for their database work."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings

_executor: ThreadPoolExecutor | None = None


def database_sync_to_async(fn: Any) -> Any:
    """Run ORM work in this part's own thread pool, not the one shared thread Django's
    default uses: a socket's write does not queue behind every other socket's, and commits
    waiting on the disk overlap (each thread has its own connection; with DATABASE_POOL
    they come from the pool, so size the pool to CONVERSATION_DB_THREADS)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=settings.CONVERSATION_DB_THREADS, thread_name_prefix="conversations-db"
        )
    return DatabaseSyncToAsync(fn, thread_sensitive=False, executor=_executor)


@functools.cache
def in_db_thread(fn: Any) -> Any:
    """`database_sync_to_async(fn)` made once for a module-level function (the hot paths):
    building the wrapper is not free."""
    return database_sync_to_async(fn)
