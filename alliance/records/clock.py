"""Records' jobs for the worker clock (core/scheduler.py)."""

from alliance.records.plan_tasks import remind_plan_reviews

DAILY = {"remind_plan_reviews": remind_plan_reviews.enqueue}
