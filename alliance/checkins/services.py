"""Writes of the check-in flow, kept importable here: other parts and the tests call them
as `services.<name>`.

Each lives in the module named for it: asking for check-ins and outcome schedules
(`requests.py`), how long one takes (`length.py`), answering one (`submission.py`, where
safety is evaluated in the same request) and the alert workflow (`alert_workflow.py`).
"""

from __future__ import annotations

from alliance.checkins.alert_workflow import (
    NOTE_MAX_CHARS,
    SAFETY_PLAN_FIELDS,
    acknowledge_alert,
    close_safety_alert,
    plan_repair,
    resolve_alert,
)
from alliance.checkins.errors import CheckinError
from alliance.checkins.length import SECONDS_PER_QUESTION, CheckinLength, checkin_length
from alliance.checkins.requests import (
    SessionHeld,
    is_follow_up,
    latest_session_held,
    outcome_schedule_of,
    outcomes_due,
    request_alert_evaluation,
    request_checkin,
    request_follow_up,
    session_to_rate,
    set_outcome_schedule,
)
from alliance.checkins.submission import (
    COMMENT_MAX_CHARS,
    Submitted,
    notify_unanswered,
    pending_instruments,
    submit_response,
)

# Used by other parts (and the tests) from this module.
__all__ = [
    "COMMENT_MAX_CHARS",
    "NOTE_MAX_CHARS",
    "SAFETY_PLAN_FIELDS",
    "SECONDS_PER_QUESTION",
    "CheckinError",
    "CheckinLength",
    "SessionHeld",
    "Submitted",
    "acknowledge_alert",
    "checkin_length",
    "close_safety_alert",
    "is_follow_up",
    "latest_session_held",
    "notify_unanswered",
    "outcome_schedule_of",
    "outcomes_due",
    "pending_instruments",
    "plan_repair",
    "request_alert_evaluation",
    "request_checkin",
    "request_follow_up",
    "resolve_alert",
    "session_to_rate",
    "set_outcome_schedule",
    "submit_response",
]
