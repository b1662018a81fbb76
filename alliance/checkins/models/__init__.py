"""The models of check-ins, imported here so that other parts use `alliance.checkins.models`.

Each lives in the module named for it: `questionnaires.py` (instruments a practice added,
outcome schedules, check-in requests, responses and their scores) and `alerts.py` (alerts in
their workflow, their history, safety assessments, failed evaluations, safety handoffs).
Importing them here is also what makes Django find them as this app's models (app label
"checkins", so moving one between these modules needs no migration).
"""

from __future__ import annotations

from alliance.checkins.models.alerts import (
    EVIDENCE_SOURCES,
    KIND_LABELS,
    SEALED_PHRASES,
    SEVERITY_LABELS,
    Alert,
    AlertEvaluationFailure,
    AlertEvent,
    ClientRisk,
    RiskModelFit,
    SafetyAssessment,
    SafetyHandoff,
    matched_phrases,
)
from alliance.checkins.models.questionnaires import (
    CHECKIN,
    CHECKIN_THERAPIST,
    DEFAULT_OUTCOME_INSTRUMENTS,
    CheckinRequest,
    OutcomeSchedule,
    PracticeInstrument,
    Response,
    ResponseQuerySet,
    default_outcome_instruments,
)

__all__ = [
    "CHECKIN",
    "CHECKIN_THERAPIST",
    "DEFAULT_OUTCOME_INSTRUMENTS",
    "EVIDENCE_SOURCES",
    "KIND_LABELS",
    "SEALED_PHRASES",
    "SEVERITY_LABELS",
    "Alert",
    "AlertEvaluationFailure",
    "AlertEvent",
    "CheckinRequest",
    "ClientRisk",
    "OutcomeSchedule",
    "PracticeInstrument",
    "Response",
    "ResponseQuerySet",
    "RiskModelFit",
    "SafetyAssessment",
    "SafetyHandoff",
    "default_outcome_instruments",
    "matched_phrases",
]
