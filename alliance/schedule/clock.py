"""The schedule's jobs for the worker clock (core/scheduler.py)."""

from alliance.schedule.tasks import mark_dropouts, request_follow_ups

DAILY = {
    "mark_dropouts": mark_dropouts.enqueue,
    "request_follow_ups": request_follow_ups.enqueue,
}
