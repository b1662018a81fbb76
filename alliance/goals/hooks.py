"""Calls into neighbouring parts: alert evaluation (check-ins) and handoff consent (care)."""

from __future__ import annotations

from alliance.care.models import Partnership
from alliance.care.queries import handoff_allowed as care_handoff_allowed
from alliance.checkins.services import request_alert_evaluation as checkins_request_evaluation


def request_alert_evaluation(partnership_id: int) -> None:
    """Ask the alert rules to look at this partnership again once the change is committed
    (goals co-agreed, tasks not done and journal activity are among their signals)."""
    checkins_request_evaluation(partnership_id=partnership_id)


def handoff_allowed(partnership: Partnership) -> bool:
    """Whether the client consented to carry earlier goals to this (new) therapist."""
    return care_handoff_allowed(partnership)
