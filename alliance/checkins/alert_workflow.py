"""The alert workflow: acknowledging an alert, planning a repair, resolving it, and closing
a safety alert with a risk assessment and a safety plan; each step is an `AlertEvent`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from alliance.accounts.models import User
from alliance.checkins.errors import CheckinError
from alliance.checkins.models import Alert, AlertEvent, Response, SafetyAssessment

NOTE_MAX_CHARS = 5_000


def record_event(alert: Alert, action: str, actor: User | None, note: str = "") -> AlertEvent:
    return AlertEvent.objects.create(
        alert=alert, action=action, actor=actor, note=note or None, created_at=timezone.now()
    )


def _locked_open(alert: Alert) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if not locked.is_open:
        raise CheckinError(gettext("this alert is already closed"))
    return locked


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise CheckinError(gettext("please add a short note"))
    if len(note) > NOTE_MAX_CHARS:
        raise CheckinError(f"a note can be at most {NOTE_MAX_CHARS} characters")
    return note


@transaction.atomic
def acknowledge_alert(*, alert: Alert, actor: User, note: str = "") -> Alert:
    locked = _locked_open(alert)
    note = _clean_note(note, required=False)
    now = timezone.now()
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
    if locked.state == Alert.State.OPEN:
        locked.state = Alert.State.ACKNOWLEDGED
    locked.updated_at = now
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "state", "updated_at"])
    record_event(locked, AlertEvent.Action.ACKNOWLEDGED, actor, note)
    return locked


def _current_session(partnership_id: int | None) -> int:
    if partnership_id is None:
        return 0
    last = (
        Response.objects.current()
        .filter(partnership_id=partnership_id)
        .order_by("-session_number")
        .values_list("session_number", flat=True)
        .first()
    )
    return int(last or 0)


@transaction.atomic
def plan_repair(*, alert: Alert, actor: User, note: str) -> Alert:
    """Record the repair action; from now on the next check-ins can show it held."""
    locked = _locked_open(alert)
    if locked.is_safety:
        raise CheckinError(
            gettext("a safety alert closes with a risk assessment and a safety plan")
        )
    note = _clean_note(note, required=True)
    now = timezone.now()
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
        record_event(locked, AlertEvent.Action.ACKNOWLEDGED, actor)
    locked.state = Alert.State.REPAIR_PLANNED
    locked.repair_session = _current_session(locked.partnership_id)
    locked.updated_at = now
    locked.save(
        update_fields=[
            "acknowledged_at",
            "acknowledged_by",
            "state",
            "repair_session",
            "updated_at",
        ]
    )
    record_event(locked, AlertEvent.Action.REPAIR_PLANNED, actor, note)
    return locked


@transaction.atomic
def resolve_alert(*, alert: Alert, actor: User, note: str) -> Alert:
    locked = _locked_open(alert)
    if locked.is_safety:
        raise CheckinError(
            "a safety alert can only be closed with a documented risk assessment and a safety plan"
        )
    note = _clean_note(note, required=True)
    now = timezone.now()
    locked.state = Alert.State.RESOLVED
    locked.is_open = False
    locked.closed_at = now
    locked.updated_at = now
    locked.save(update_fields=["state", "is_open", "closed_at", "updated_at"])
    record_event(locked, AlertEvent.Action.RESOLVED, actor, note)
    return locked


SAFETY_PLAN_FIELDS = (
    "warning_signs",
    "coping_strategies",
    "social_distractions",
    "people_to_ask",
    "professionals",
    "environment_safety",
    "reasons_for_living",
)


@transaction.atomic
def close_safety_alert(
    *, alert: Alert, actor: User, risk_level: str, risk_assessment: str, plan: dict[str, str]
) -> Alert:
    """Close a safety alert with a documented risk assessment and a Stanley & Brown (2012)
    safety plan; every field is required."""
    locked = _locked_open(alert)
    if not locked.is_safety:
        raise CheckinError(gettext("only safety alerts close with a safety plan"))
    if risk_level not in SafetyAssessment.Risk.values:
        raise CheckinError(gettext("choose the assessed level of risk"))
    missing = [f for f in SAFETY_PLAN_FIELDS if not (plan.get(f) or "").strip()]
    if not (risk_assessment or "").strip():
        missing.insert(0, "risk_assessment")
    if missing:
        raise CheckinError(
            "a safety alert closes only with a documented risk assessment and a complete "
            "safety plan; missing: " + ", ".join(m.replace("_", " ") for m in missing)
        )
    now = timezone.now()
    SafetyAssessment.objects.create(
        alert=locked,
        assessed_by=actor,
        risk_level=risk_level,
        risk_assessment=risk_assessment.strip(),
        created_at=now,
        **{f: plan[f].strip() for f in SAFETY_PLAN_FIELDS},
    )
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
    locked.state = Alert.State.RESOLVED
    locked.is_open = False
    locked.closed_at = now
    locked.updated_at = now
    locked.save(
        update_fields=[
            "acknowledged_at",
            "acknowledged_by",
            "state",
            "is_open",
            "closed_at",
            "updated_at",
        ]
    )
    record_event(
        locked, AlertEvent.Action.RESOLVED, actor, "risk assessment and safety plan recorded"
    )
    return locked
