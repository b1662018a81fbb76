"""Run the alert rules and persist what they find, keeping one open alert per kind.

- A new signal of a kind that already has an open alert updates that alert's evidence.
- A signal the workflow has already handled (a closed alert of the kind whose session is at
  or after the signal's newest session) is not raised again: the session-3 checkpoint, for
  example, keeps describing session 3 and is raised once.
- Safety alerts are raised only synchronously (`safety.raise_safety_alert`), in the request
  that stores the signal; evaluation never creates, delays or closes them.
- The `repaired` rule (Eubanks et al. 2018) turns an acknowledged alert with a recorded
  repair into "repaired" once the pillar is back at the client's baseline for two check-ins.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.care.models import Partnership
from alliance.checkins.history import build_histories, rule_config
from alliance.checkins.models import Alert, AlertEvent
from alliance.measures.alerts import Alert as EngineAlert
from alliance.measures.alerts import AlertKind, AlertState, ClientHistory, Pillar, evaluate
from alliance.measures.alerts import batch as engine_batch
from alliance.measures.alerts import repaired as repaired_rule


@dataclass
class Summary:
    partnerships: int = 0
    raised: int = 0
    updated: int = 0
    repaired: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def _evidence(alert: EngineAlert) -> list[dict[str, object]]:
    return [asdict(e) for e in alert.evidence]


def _state_of(alert: Alert) -> AlertState:
    return AlertState(
        kind=AlertKind(alert.kind),
        pillar=Pillar(alert.pillar),
        raised_session=alert.session or 1,
        acknowledged=alert.acknowledged_at is not None,
        repair_session=alert.repair_session,
    )


def evaluate_partnerships(partnership_ids: Iterable[int]) -> Summary:
    """Evaluate and persist alerts for these partnerships (active ones only)."""
    ids = list(
        Partnership.objects.filter(
            pk__in=list(partnership_ids), status=Partnership.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    summary = Summary(partnerships=len(ids))
    if not ids:
        return summary
    histories = build_histories(ids)
    return persist(histories, summary)


def persist(histories: dict[int, ClientHistory], summary: Summary) -> Summary:
    config = rule_config()
    client_of = dict(
        Partnership.objects.filter(pk__in=list(histories)).values_list("pk", "client_id")
    )
    existing: dict[int, list[Alert]] = defaultdict(list)
    for alert in Alert.objects.filter(partnership_id__in=list(histories)).exclude(
        kind=AlertKind.SAFETY
    ):
        existing[alert.partnership_id or 0].append(alert)
    now = timezone.now()
    to_create: list[Alert] = []
    for pid, history in histories.items():
        alerts_here = existing.get(pid, [])
        open_by_kind = {a.kind: a for a in alerts_here if a.is_open}
        states = [_state_of(a) for a in open_by_kind.values()]
        found = evaluate(history, config, ())
        with transaction.atomic():
            for engine_alert in found:
                if engine_alert.kind in (AlertKind.SAFETY, AlertKind.REPAIRED):
                    continue
                summary.kinds[engine_alert.kind] = summary.kinds.get(engine_alert.kind, 0) + 1
                current = open_by_kind.get(engine_alert.kind)
                if current is not None:
                    if _update(current, engine_alert, now):
                        summary.updated += 1
                    continue
                handled = [
                    a
                    for a in alerts_here
                    if a.kind == engine_alert.kind
                    and not a.is_open
                    and (a.session or 0) >= (engine_alert.session or 0)
                ]
                if handled:
                    continue
                to_create.append(_new(pid, client_of[pid], engine_alert, now))
                summary.raised += 1
            for state in states:
                if repaired_rule.check(history, config, [state]):
                    alert = open_by_kind[state.kind]
                    if alert.state == Alert.State.REPAIR_PLANNED:
                        _mark_repaired(alert, now)
                        summary.repaired += 1
    # New alerts in two statements however many there are (the whole-practice recompute).
    try:
        with transaction.atomic():
            created = Alert.objects.bulk_create(to_create, batch_size=500)
            AlertEvent.objects.bulk_create(
                [
                    AlertEvent(alert=a, action=AlertEvent.Action.RAISED, created_at=now)
                    for a in created
                ],
                batch_size=1000,
            )
    except IntegrityError:
        # Another evaluation of one of these partnerships (a check-in's and a message's can
        # run at once) raised the same kind meanwhile: one open alert per kind is the rule,
        # so keep theirs and create the rest one by one.
        summary.raised -= _create_one_by_one(to_create, now)
    return summary


def _create_one_by_one(alerts: list[Alert], now: dt.datetime) -> int:
    """Create each alert with its event; returns how many already existed."""
    existed = 0
    for alert in alerts:
        alert.pk = None
        alert._state.adding = True
        try:
            with transaction.atomic():
                alert.save(force_insert=True)
                AlertEvent.objects.create(
                    alert=alert, action=AlertEvent.Action.RAISED, created_at=now
                )
        except IntegrityError:
            existed += 1
    return existed


def _new(pid: int, client_id: int, found: EngineAlert, now: dt.datetime) -> Alert:
    return Alert(
        client_id=client_id,
        partnership_id=pid,
        kind=found.kind,
        severity=found.severity,
        severity_rank=found.severity.rank,
        pillar=found.pillar,
        evidence=_evidence(found),
        explanation=found.explanation,
        repair_actions=list(found.repair_actions),
        client_prompt=found.client_prompt,
        session=found.session,
        created_at=now,
        updated_at=now,
    )


def _update(alert: Alert, found: EngineAlert, now: dt.datetime) -> bool:
    evidence = _evidence(found)
    if evidence == alert.evidence and found.severity == alert.severity:
        return False
    alert.evidence = evidence
    alert.severity = found.severity
    alert.severity_rank = found.severity.rank
    alert.explanation = found.explanation
    alert.session = max(alert.session or 0, found.session or 0) or None
    alert.updated_at = now
    alert.save(
        update_fields=[
            "evidence",
            "severity",
            "severity_rank",
            "explanation",
            "session",
            "updated_at",
        ]
    )
    AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.UPDATED, created_at=now)
    return True


def _mark_repaired(alert: Alert, now: dt.datetime) -> None:
    alert.state = Alert.State.REPAIRED
    alert.is_open = False
    alert.closed_at = now
    alert.updated_at = now
    alert.save(update_fields=["state", "is_open", "closed_at", "updated_at"])
    AlertEvent.objects.create(
        alert=alert,
        action=AlertEvent.Action.REPAIRED,
        note="back at the client's own baseline for two check-ins",
        created_at=now,
    )


def recompute_all(*, chunk: int = 5000) -> Summary:
    """Whole-practice recompute: the engine's vectorised batch finds the partnerships with
    any flag; only those are evaluated in detail (evidence, texts) and persisted."""
    summary = Summary()
    ids = list(
        Partnership.objects.filter(status=Partnership.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with_open = set(
        Alert.objects.filter(is_open=True, partnership_id__in=ids).values_list(
            "partnership_id", flat=True
        )
    )
    config = rule_config()
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        histories = build_histories(part)
        keys = list(histories)
        rows = [histories[k] for k in keys]
        sessions = max(
            [1]
            + [c.session for h in rows for c in h.checkins]
            + [o.session for h in rows for o in h.outcomes]
            + [a.session for h in rows for a in h.attendance]
            + [s for h in rows for s in h.skipped_checkins]
        )
        weeks = max([1] + [len(h.messages_per_week) for h in rows])
        data = engine_batch.to_batch(rows, sessions=sessions, weeks=weeks)
        severity = np.asarray(engine_batch.evaluate_batch(data, config).severity)
        flagged: list[bool] = np.any(severity > 0, axis=1).tolist()
        todo = {k: histories[k] for k, f in zip(keys, flagged, strict=True) if f or k in with_open}
        summary.partnerships += len(part)
        persist(todo, summary)
    return summary
