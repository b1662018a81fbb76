"""The worker clock finds each part's jobs in its clock.py."""

from __future__ import annotations

from alliance.core import scheduler


def test_every_parts_jobs_are_found_by_name():
    assert set(scheduler.daily_jobs()) == {
        "billing.issue_statements",
        "billing.reconcile_charges",
        "checkins.refit_risk_model",
        "directory.check_licences",
        "records.remind_plan_reviews",
        "schedule.mark_dropouts",
        "schedule.request_follow_ups",
    }
    assert set(scheduler.minutely_jobs()) == {"checkins.escalate_safety"}
