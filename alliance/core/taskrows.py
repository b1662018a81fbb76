"""A task's queue row as an INSERT statement, to run on a connection Django does not manage.

`task.enqueue()` on django-tasks' database backend saves one `DBTaskResult` row through the
ORM, on Django's (synchronous) connection. Code that stores its own rows on an asynchronous
psycopg connection (the chat's event-loop path, `alliance/conversations/fastpath.py`) needs
the same row in its own transaction, so the task commits with what it follows up: `row_insert`
builds the row exactly as the backend does (same fields, the backend's `pre_save` handler,
Django's INSERT compiler for the given connection's dialect) and returns the statement
without running it. Building it touches no database, so it may run on an event loop.

When the task's backend is not the database backend (the immediate backend in some test
set-ups, say) there is no row to write: `row_insert` returns None and the caller enqueues
through the API instead. tests/core/test_taskrows.py checks that a row written this way is
the row `enqueue` writes, and that a worker runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import sql
from django.db.models.signals import pre_save


@dataclass(frozen=True)
class RowInsert:
    sql: str
    params: tuple[Any, ...]
    row: Any  # the DBTaskResult the statement inserts (for `announce`, after commit)
    backend: Any


def row_insert(task: Any, args: tuple[Any, ...], connection: Any) -> RowInsert | None:
    """The INSERT that `task.enqueue(*args)` would run, compiled for `connection`."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    backend.validate_task(task)
    # DatabaseBackend._task_to_db_task, without saving.
    row: Any = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )
    # What Model.save() would do around the INSERT: the backend's handler gives a task with
    # no run_after its "any time" date; the compiler fills enqueued_at (auto_now_add).
    pre_save.send(
        sender=DBTaskResult, instance=row, raw=False, using=connection.alias, update_fields=None
    )
    fields = [f for f in DBTaskResult._meta.local_concrete_fields if not f.generated]
    query = sql.InsertQuery(DBTaskResult)
    query.insert_values(fields, [row])
    [(statement, params)] = query.get_compiler(connection=connection).as_sql()
    return RowInsert(statement, tuple(params), row, backend)


def announce(inserted: RowInsert) -> None:
    """Send django-tasks' `task_enqueued` signal for a committed row, as `enqueue` does."""
    from django_tasks_db.compat import task_enqueued

    task_enqueued.send(type(inserted.backend), task_result=inserted.row.task_result)
