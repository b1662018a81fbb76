"""The treatment plan's background task: idempotent, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from alliance.records import plan_review


@task()
def remind_plan_reviews() -> int:
    """Daily: remind therapists of plans whose review falls due within a week (once per
    plan version)."""
    return plan_review.send_review_reminders()
