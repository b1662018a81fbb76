"""Daily jobs, enqueued once per day however many workers run, and jobs run every minute.

django-tasks runs tasks but has no clock; each worker calls `enqueue_due()` every minute and
a unique (name, day) row decides which one enqueues. Each part lists its jobs in its own
`clock.py` (`DAILY` and `MINUTELY`, name → callable), found among INSTALLED_APPS like its
`nav.py`; a job is named "<part>.<name>".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.core.models import ScheduledRun
from alliance.core.parts import part_label, part_modules


def _jobs(kind: str) -> dict[str, Callable[[], Any]]:
    return {
        f"{part_label(module)}.{name}": job
        for module in part_modules("clock")
        for name, job in getattr(module, kind, {}).items()
    }


def daily_jobs() -> dict[str, Callable[[], Any]]:
    """Each part's `DAILY`: functions that enqueue the day's task."""
    return _jobs("DAILY")


def minutely_jobs() -> dict[str, Callable[[], Any]]:
    """Each part's `MINUTELY`: run every minute in every worker, so each is safe to run
    concurrently."""
    return _jobs("MINUTELY")


def enqueue_due() -> list[str]:
    for job in minutely_jobs().values():
        job()
    today = timezone.localdate()
    enqueued = []
    for name, enqueue in daily_jobs().items():
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=name, day=today)
                transaction.on_commit(enqueue)
        except IntegrityError:
            continue  # another worker has it today
        enqueued.append(name)
    return enqueued
