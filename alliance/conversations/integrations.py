"""Calls into the parts that conversations feed: crisis-language safety (checkins),
alert evaluation (checkins) and attendance (schedule).

Resolved by name at call time so this part works while a neighbour is not installed yet; a
neighbour that is installed but raises is never hidden.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise
    return getattr(found, name, None)


def crisis_phrases(text: str) -> list[str]:
    check = _function("alliance.checkins.safety", "crisis_phrases")
    return list(check(text)) if check is not None else []


def raise_safety_alert(*, client: Any, partnership: Any, evidence: dict[str, Any]) -> bool:
    """Alert the therapist and the on-call clinician; False when nobody could be told."""
    alert = _function("alliance.checkins.safety", "raise_safety_alert")
    if alert is None:
        return False
    alert(client=client, partnership=partnership, source="message", evidence=evidence)
    return True


def request_alert_evaluation(*, partnership_id: int) -> None:
    request = _function("alliance.checkins.services", "request_alert_evaluation")
    if request is not None:
        request(partnership_id=partnership_id)


def appointment_for_call(*, partnership: Any, at: Any) -> int | None:
    find = _function("alliance.schedule.queries", "appointment_for_call")
    if find is None:
        return None
    found = find(partnership=partnership, at=at)
    if found is None:
        return None
    return int(getattr(found, "pk", found))


def record_call_join(*, appointment_id: int, user: Any, at: Any) -> None:
    record = _function("alliance.schedule.services", "record_call_join")
    if record is not None:
        record(appointment_id=appointment_id, user=user, at=at)


def record_call_leave(*, appointment_id: int, user: Any, at: Any) -> None:
    record = _function("alliance.schedule.services", "record_call_leave")
    if record is not None:
        record(appointment_id=appointment_id, user=user, at=at)


def booking_url(partnership: Any) -> str | None:
    """The schedule part's booking page, when it exists (offered when a call cannot start)."""
    from django.urls import NoReverseMatch, reverse

    for name, kwargs in (
        ("schedule:book", {"pk": partnership.pk}),
        ("schedule:book", {}),
        ("schedule:booking", {}),
        ("schedule:index", {}),
    ):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None
