"""Alert rules of the alliance monitor: pure functions of one client's history.

``evaluate(history, config)`` runs every rule; ``batch.evaluate_batch`` recomputes the same
flags for a whole practice with numpy. See ``docs/alerts.md`` for the rules, thresholds
and sources.
"""

from __future__ import annotations

from .config import (
    AvoidanceConfig,
    BondConfig,
    CheckpointConfig,
    CollaborationConfig,
    InstrumentThresholds,
    OutcomeConfig,
    RepairConfig,
    RuleConfig,
)
from .engine import RULES, evaluate
from .model import (
    Alert,
    AlertKind,
    AlertState,
    Attendance,
    AttendanceEvent,
    CheckIn,
    ClientHistory,
    CrisisFlag,
    CrisisSource,
    Evidence,
    GoalsStatus,
    OutcomePoint,
    Pillar,
    PlanStatus,
    Severity,
    pomp,
)

__all__ = [
    "RULES",
    "Alert",
    "AlertKind",
    "AlertState",
    "Attendance",
    "AttendanceEvent",
    "AvoidanceConfig",
    "BondConfig",
    "CheckIn",
    "CheckpointConfig",
    "ClientHistory",
    "CollaborationConfig",
    "CrisisFlag",
    "CrisisSource",
    "Evidence",
    "GoalsStatus",
    "InstrumentThresholds",
    "OutcomeConfig",
    "OutcomePoint",
    "Pillar",
    "PlanStatus",
    "RepairConfig",
    "RuleConfig",
    "Severity",
    "evaluate",
    "pomp",
]
