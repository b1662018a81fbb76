from __future__ import annotations

from django_tasks import task

from alliance.privacy import chain


@task()
def seal_audit_log() -> int:
    """Seal audit rows into the hash chain (every minute; safe to run concurrently)."""
    return chain.seal()
