from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

NY = ZoneInfo("America/New_York")


@pytest.fixture
def open_week(their_therapist):
    """Their therapist is available 08:00–20:00 New York time every day."""
    from alliance.directory.models import AvailabilityWindow

    profile = their_therapist.therapist_profile
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(therapist=profile, weekday=d, start=dt.time(8), end=dt.time(20))
        for d in range(7)
    )
    return profile


def ny(days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    """A New York wall-clock time `days_ahead` days from today, as an aware datetime."""
    today = dt.datetime.now(NY).date()
    day = today + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(hour, minute)).replace(tzinfo=NY)


@pytest.fixture
def checkin_calls(monkeypatch):
    """Record the calls into the check-ins part instead of making them; on-commit work runs
    at once (the test's transaction never commits)."""
    from django.db import transaction

    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
    # The schedule announces (schedule/events.py); check-ins answers through these.
    from alliance.checkins import services

    monkeypatch.setattr(services, "request_checkin", lambda **kw: calls.append(("checkin", kw)))
    monkeypatch.setattr(
        services, "request_alert_evaluation", lambda **kw: calls.append(("alerts", kw))
    )
    monkeypatch.setattr(services, "request_follow_up", lambda **kw: calls.append(("follow_up", kw)))
    return calls
