"""Calls into the parts that conversations feed: crisis-language safety and alert
evaluation (checkins) and attendance (schedule). Imported at call time: those parts read
conversations in turn (message counts for the alert rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import NoReverseMatch, reverse

from alliance.accounts.models import User
from alliance.care.models import Partnership


def crisis_phrases(text: str) -> list[str]:
    from alliance.checkins import safety

    return list(safety.crisis_phrases(text))


def raise_safety_alert(*, client: User, partnership: Partnership, evidence: dict[str, Any]) -> bool:
    """Alert the therapist and the on-call clinician (in the caller's transaction)."""
    from alliance.checkins import safety

    safety.raise_safety_alert(
        client=client, partnership=partnership, source="message", evidence=evidence
    )
    return True


def alert_evaluation_task(*, partnership_id: int, delay_seconds: int) -> tuple[Any, tuple[int]]:
    """Re-run the alert rules for the partnership `delay_seconds` from now (so a burst of
    messages is evaluated once, after it): the task and its arguments, for the caller to
    enqueue in the message's transaction (or to write as a row, `alliance.core.taskrows`)."""
    from django.utils import timezone

    from alliance.checkins.tasks import evaluate_alerts

    run_after = timezone.now() + dt.timedelta(seconds=delay_seconds)
    return evaluate_alerts.using(run_after=run_after), (partnership_id,)


def appointment_for_call(*, partnership: Partnership, at: dt.datetime) -> int | None:
    from alliance.schedule import queries

    found = queries.appointment_for_call(partnership=partnership, at=at)
    return None if found is None else int(found.pk)


def record_call_join(*, appointment_id: int, user: User, at: dt.datetime) -> None:
    from alliance.schedule import services

    services.record_call_join(appointment_id=appointment_id, user=user, at=at)


def record_call_leave(*, appointment_id: int, user: User, at: dt.datetime) -> None:
    from alliance.schedule import services

    services.record_call_leave(appointment_id=appointment_id, user=user, at=at)


def booking_url(partnership: Partnership) -> str | None:
    """The schedule part's booking page (offered when a call cannot start)."""
    try:
        return reverse("schedule:book", args=[partnership.pk])
    except NoReverseMatch:
        return None
