"""A task row written from its compiled INSERT (alliance/core/taskrows.py) is the row
`task.enqueue()` writes, and the database worker runs it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from alliance.checkins.tasks import evaluate_alerts
from alliance.core import taskrows

pytestmark = pytest.mark.django_db

COMPARED = (
    "status",
    "args_kwargs",
    "priority",
    "task_path",
    "worker_ids",
    "queue_name",
    "backend_name",
    "run_after",
    "return_value",
    "exception_class_path",
    "traceback",
    "started_at",
    "finished_at",
)


def written(task, args):
    insert = taskrows.row_insert(task, args, connection)
    assert insert is not None
    with connection.cursor() as cursor:
        cursor.execute(insert.sql, insert.params)
    return insert, DBTaskResult.objects.get(pk=insert.row.pk)


def fields(row):
    return {name: getattr(row, name) for name in COMPARED}


@pytest.mark.parametrize("delay", [None, 90])
def test_the_row_is_the_one_enqueue_writes(partnership, delay):
    task = evaluate_alerts
    if delay is not None:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    before = timezone.now()
    _insert, ours = written(task, (partnership.pk,))
    theirs = DBTaskResult.objects.get(pk=task.enqueue(partnership.pk).id)
    assert ours.pk != theirs.pk
    assert fields(ours) == fields(theirs)
    assert before <= ours.enqueued_at <= theirs.enqueued_at
    if delay is None:
        assert ours.run_after == get_date_max()  # the backend's "any time", as save() sets


def test_the_worker_runs_a_written_row(partnership):
    from django_tasks_db.management.commands.db_worker import Worker

    _insert, row = written(evaluate_alerts, (partnership.pk,))
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    ready = DBTaskResult.objects.ready().filter(backend_name="default").get()  # its query
    assert ready.pk == row.pk
    worker.run_task(ready)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.return_value == {"raised": 0, "updated": 0, "repaired": 0, "failed": 0}


def test_announcing_sends_the_enqueued_signal(partnership):
    from django_tasks_db.compat import task_enqueued

    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append(task_result)

    task_enqueued.connect(receiver)
    try:
        insert, row = written(evaluate_alerts, (partnership.pk,))
        taskrows.announce(insert)
    finally:
        task_enqueued.disconnect(receiver)
    assert [r.id for r in seen] == [str(row.pk)]
    assert seen[0].args == [partnership.pk]


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)
def test_no_row_when_the_backend_is_not_the_database(partnership):
    assert taskrows.row_insert(evaluate_alerts, (partnership.pk,), connection) is None
