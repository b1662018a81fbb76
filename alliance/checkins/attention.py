"""The "needs attention" cards of one caseload, within the alert budget.

Called by `evaluation.persist` after the risks of some partnerships were computed and stored
(`ClientRisk`): for each therapist concerned, the budget (`measures/alerts/budget.py`) is
applied to the whole active caseload — the risks just computed and the stored ones of the
others — and the cards of the partnerships evaluated now are opened, updated or closed:

- a card opens when the risk reaches the opening threshold and the caseload has room
  (`ALERT_BUDGET_SHARE`, at least one card per caseload), or whatever the budget when three
  of the last four appointments were missed or cancelled late;
- it stays open while the risk stays at or above the (lower) closing threshold, and then
  closes by itself ("repaired" when a planned repair held, "resolved" otherwise);
- a card whose repair held (the pillar back at the client's baseline for two check-ins)
  becomes "repaired" as before.

Safety alerts are not cards: nothing here reads, counts or changes them, except that a card
opened by missed sessions is "high" for a client who has had one.

Two evaluations of one caseload at the same moment (a check-in and a message) could each
see room for the last card: the budget can then be exceeded by one until the next
evaluation, which opens no more. One open card per partnership is a database constraint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from alliance.care.models import Partnership
from alliance.checkins.models import Alert, AlertEvent, ClientRisk
from alliance.measures.alerts import AlertKind, AlertState, ClientHistory, Pillar, RuleConfig
from alliance.measures.alerts import budget as engine_budget
from alliance.measures.alerts import card as engine_card
from alliance.measures.alerts import repaired as repaired_rule
from alliance.measures.alerts.risk import Risk

ATTENTION = AlertKind.ATTENTION.value


def budget() -> engine_budget.Budget:
    return engine_budget.Budget(share=settings.ALERT_BUDGET_SHARE)


@dataclass
class Outcome:
    raised: int = 0
    updated: int = 0
    repaired: int = 0
    closed: int = 0


@dataclass(frozen=True)
class Assessed:
    partnership_id: int
    client_id: int
    therapist_id: int
    history: ClientHistory
    risk: Risk


def store_risks(assessed: list[Assessed], *, source: str, now: dt.datetime) -> None:
    """One `ClientRisk` row per partnership, written in one statement."""
    rows = [
        ClientRisk(
            partnership_id=a.partnership_id,
            probability=a.risk.probability,
            session=a.risk.session,
            reasons=[{"signal": r.signal, "contribution": r.contribution} for r in a.risk.reasons],
            missed=a.risk.missed,
            model_source=source[:200],
            computed_at=now,
        )
        for a in assessed
    ]
    ClientRisk.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["partnership"],
        update_fields=[
            "probability",
            "session",
            "reasons",
            "missed",
            "model_source",
            "computed_at",
        ],
    )


def apply(
    therapist_id: int,
    assessed: list[Assessed],
    config: RuleConfig,
    now: dt.datetime,
    on_error: Callable[[int, Exception], None],
) -> Outcome:
    """Apply the budget to this therapist's caseload and write the cards of `assessed`."""
    limits = budget()
    # Every active partnership counts for the budget; one not evaluated yet has no risk.
    caseload = [
        (pid, probability or 0.0, missed or 0)
        for pid, probability, missed in Partnership.objects.filter(
            therapist_id=therapist_id, status=Partnership.Status.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", "risk__probability", "risk__missed")
    ]
    cards = {
        a.partnership_id: a
        for a in Alert.objects.filter(
            kind=ATTENTION, is_open=True, partnership__therapist_id=therapist_id
        )
    }
    keep = engine_budget.attention(
        [p for _, p, _ in caseload],
        [pid in cards for pid, _, _ in caseload],
        limits,
        must_open=[m >= engine_budget.MISSED_MUST_OPEN for _, _, m in caseload],
    )
    selected = {pid for (pid, _, _), k in zip(caseload, keep, strict=True) if k}
    handled = _handled_through([a.partnership_id for a in assessed])
    outcome = Outcome()
    for a in assessed:
        # A card the therapist closed (or that was repaired) is not opened again on the same
        # sessions: only something newer reopens it.
        fresh = a.risk.session > handled.get(a.partnership_id, 0)
        wanted = a.partnership_id in selected and (fresh or a.partnership_id in cards)
        here = Outcome()
        try:
            with transaction.atomic():
                _write(a, cards.get(a.partnership_id), wanted, config, now, limits, here)
        except Exception as exc:
            on_error(a.partnership_id, exc)
            continue
        outcome.raised += here.raised
        outcome.updated += here.updated
        outcome.repaired += here.repaired
        outcome.closed += here.closed
    return outcome


def _handled_through(partnership_ids: list[int]) -> dict[int, int]:
    """The newest session of each partnership's closed cards."""
    out: dict[int, int] = {}
    rows = Alert.objects.filter(
        partnership_id__in=partnership_ids, kind=ATTENTION, is_open=False
    ).values_list("partnership_id", "session")
    for pid, session in rows:
        out[pid] = max(out.get(pid, 0), session or 0)
    return out


def _write(
    a: Assessed,
    current: Alert | None,
    selected: bool,
    config: RuleConfig,
    now: dt.datetime,
    limits: engine_budget.Budget,
    outcome: Outcome,
) -> None:
    if current is not None and _repaired(current, a.history, config):
        _close(
            current,
            Alert.State.REPAIRED,
            "the pillar is back at the client's own baseline for two check-ins",
            now,
        )
        outcome.repaired += 1
        return
    if not selected:
        # A planned repair of an alliance pillar is followed to its end (two check-ins back
        # at baseline) rather than closed by the first good week.
        following = (
            current is not None
            and current.state == Alert.State.REPAIR_PLANNED
            and Pillar(current.pillar) in repaired_rule.REPAIRABLE
        )
        if current is not None and not following:
            state = Alert.State.RESOLVED
            _close(
                current,
                state,
                f"risk {a.risk.probability:.0%} fell below "
                f"{limits.close_below:.0%}; the card closed by itself",
                now,
            )
            outcome.closed += 1
        return
    forced = a.risk.missed >= engine_budget.MISSED_MUST_OPEN
    earlier_safety = forced and Alert.objects.filter(client_id=a.client_id, kind="safety").exists()
    found = engine_card.build(
        a.history,
        a.risk,
        config,
        budget=limits,
        missed_forced=forced,
        earlier_safety=earlier_safety,
    )
    if current is None:
        _open(a, found, now, outcome)
    else:
        _update(current, a, found, now, outcome)


def _open(a: Assessed, found: engine_card.Card, now: dt.datetime, outcome: Outcome) -> None:
    alert = Alert(
        client_id=a.client_id,
        partnership_id=a.partnership_id,
        kind=ATTENTION,
        severity=found.severity,
        severity_rank=found.severity.rank,
        pillar=found.pillar,
        evidence=[asdict(e) for e in found.evidence],
        explanation=found.explanation,
        repair_actions=list(found.repair_actions),
        client_prompt=found.client_prompt,
        # The session the card was last evaluated at: a card closed by the therapist is
        # opened again only by something newer (`_handled_through`).
        session=a.risk.session or found.session,
        risk=found.probability,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError as exc:
        if _is_one_open_per_partnership(exc):
            return  # another evaluation opened it meanwhile: theirs is kept
        raise
    AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.RAISED, created_at=now)
    outcome.raised += 1


def _update(
    current: Alert, a: Assessed, found: engine_card.Card, now: dt.datetime, outcome: Outcome
) -> None:
    evidence = [asdict(e) for e in found.evidence]
    if (
        evidence == current.evidence
        and found.severity == current.severity
        and found.probability == current.risk
    ):
        return
    current.evidence = evidence
    current.severity = found.severity
    current.severity_rank = found.severity.rank
    current.explanation = found.explanation
    current.repair_actions = list(found.repair_actions)
    current.risk = found.probability
    current.session = max(current.session or 0, a.risk.session) or None
    if current.state == Alert.State.OPEN:
        # The pillar a repair is planned on stays the one the therapist worked on.
        current.pillar = found.pillar
    current.updated_at = now
    current.save(
        update_fields=[
            "evidence",
            "severity",
            "severity_rank",
            "explanation",
            "repair_actions",
            "risk",
            "session",
            "pillar",
            "updated_at",
        ]
    )
    AlertEvent.objects.create(alert=current, action=AlertEvent.Action.UPDATED, created_at=now)
    outcome.updated += 1


def _is_one_open_per_partnership(exc: IntegrityError) -> bool:
    """The one-open-card rule (PostgreSQL names the constraint; SQLite its columns)."""
    text = str(exc)
    return "one_open_alert_per_kind" in text or "checkins_alert.partnership_id" in text


def _repaired(alert: Alert, history: ClientHistory, config: RuleConfig) -> bool:
    if alert.state != Alert.State.REPAIR_PLANNED:
        return False
    state = AlertState(
        kind=AlertKind.ATTENTION,
        pillar=Pillar(alert.pillar),
        raised_session=alert.session or 1,
        acknowledged=alert.acknowledged_at is not None,
        repair_session=alert.repair_session,
    )
    return bool(repaired_rule.check(history, config, [state]))


def _close(alert: Alert, state: str, note: str, now: dt.datetime) -> None:
    alert.state = state
    alert.is_open = False
    alert.closed_at = now
    alert.updated_at = now
    alert.save(update_fields=["state", "is_open", "closed_at", "updated_at"])
    action = (
        AlertEvent.Action.REPAIRED if state == Alert.State.REPAIRED else AlertEvent.Action.RESOLVED
    )
    AlertEvent.objects.create(alert=alert, action=action, note=note, created_at=now)


def close_on_end(partnership_id: int, reason: str, now: dt.datetime) -> None:
    """A partnership's card ends with it (lifecycle); its risk row goes."""
    for alert in Alert.objects.filter(partnership_id=partnership_id, kind=ATTENTION, is_open=True):
        _close(alert, Alert.State.RESOLVED, f"partnership ended ({reason})", now)
    ClientRisk.objects.filter(partnership_id=partnership_id).delete()
