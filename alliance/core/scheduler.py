"""Daily jobs, enqueued once per day however many workers run.

django-tasks runs tasks but has no clock; each worker calls `enqueue_due()` every minute and
a unique (name, day) row decides which one enqueues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.core.models import ScheduledRun


def daily_jobs() -> dict[str, Callable[[], Any]]:
    from alliance.directory.tasks import check_licences
    from alliance.schedule.tasks import mark_dropouts, request_follow_ups

    return {
        "directory.check_licences": check_licences.enqueue,
        "schedule.mark_dropouts": mark_dropouts.enqueue,
        "schedule.request_follow_ups": request_follow_ups.enqueue,
    }


def minutely_jobs() -> dict[str, Callable[[], Any]]:
    """Jobs the clock runs every minute in every worker; each is safe to run concurrently."""
    from alliance.checkins.safety import escalate_unacknowledged

    return {"checkins.escalate_safety": escalate_unacknowledged}


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
