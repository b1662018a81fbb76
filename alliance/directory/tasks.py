from __future__ import annotations

from django_tasks import task

from alliance.directory import services


@task()
def check_licences() -> dict[str, int]:
    """Daily: mark lapsed licences, warn therapists 30 days before expiry."""
    return services.check_licences()
