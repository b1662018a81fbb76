"""Calls into the check-ins part: the check-in request after an appointment and the
re-evaluation of alert rules after attendance changes. Always called on commit."""

from __future__ import annotations

from alliance.care.models import Partnership


def request_checkin(*, partnership: Partnership, appointment_id: int | None) -> None:
    from alliance.checkins import services

    services.request_checkin(partnership=partnership, appointment_id=appointment_id)


def request_alert_evaluation(*, partnership_id: int) -> None:
    from alliance.checkins import services

    services.request_alert_evaluation(partnership_id=partnership_id)


def request_follow_up(*, partnership: Partnership) -> None:
    """The three-month check after a planned ending (the partnership has ended by then).

    Uses the check-ins part's `request_follow_up` when it has one; otherwise a check-in
    request without an appointment.
    """
    from alliance.checkins import services

    follow_up = getattr(services, "request_follow_up", None)
    if follow_up is not None:
        follow_up(partnership=partnership)
    else:
        services.request_checkin(partnership=partnership, appointment_id=None)
