"""Background tasks of notifications: each takes an id, reloads, and is idempotent."""

from __future__ import annotations

from django_tasks import task

from alliance.notify import services


@task()
def deliver(delivery_id: int) -> str:
    return services.deliver(delivery_id=delivery_id)
