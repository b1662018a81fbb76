"""Run the alert rules and persist what they find, keeping one open alert per kind.

- A new signal of a kind that already has an open alert updates that alert's evidence.
- A signal the workflow has already handled (a closed alert of the kind whose session is at
  or after the signal's newest session) is not raised again: the session-3 checkpoint, for
  example, keeps describing session 3 and is raised once.
- Safety alerts are raised only synchronously (`safety.raise_safety_alert`), in the request
  that stores the signal; evaluation never creates, delays or closes them.
- The `repaired` rule (Eubanks et al. 2018) turns an acknowledged alert with a recorded
  repair into "repaired" once the pillar is back at the client's baseline for two check-ins.

Each partnership is evaluated on its own: one bad history (any exception while its history
is built, evaluated or persisted) never stops anyone else's alerts. Histories are built per
chunk; a chunk that fails is split until the partnerships that fail stand alone. Each
partnership's evaluation and writes run in their own savepoint. A failure is recorded in
`AlertEvaluationFailure` (one open row per partnership, shown to the practice admin and in
`/health/`) and resolved when that partnership next evaluates cleanly.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alliance.care.models import Partnership
from alliance.checkins.history import build_histories, rule_config
from alliance.checkins.models import Alert, AlertEvaluationFailure, AlertEvent
from alliance.measures.alerts import Alert as EngineAlert
from alliance.measures.alerts import (
    AlertKind,
    AlertState,
    ClientHistory,
    Pillar,
    RuleConfig,
    evaluate,
)
from alliance.measures.alerts import batch as engine_batch
from alliance.measures.alerts import repaired as repaired_rule

logger = logging.getLogger(__name__)
MESSAGE_LENGTH = 300
LOGGED_FAILURES = 20  # each with its traceback; the rest are counted


@dataclass
class Summary:
    partnerships: int = 0
    raised: int = 0
    updated: int = 0
    repaired: int = 0
    failed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    failed_ids: list[int] = field(default_factory=list)

    def add(self, other: Summary) -> None:
        self.raised += other.raised
        self.updated += other.updated
        self.repaired += other.repaired
        for kind, n in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + n


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
    """Evaluate and persist alerts for these partnerships (active ones only); those that
    fail are recorded and counted in `failed`, and stop no one else's."""
    wanted = set(partnership_ids)
    ids = list(
        Partnership.objects.filter(pk__in=wanted, status=Partnership.Status.ACTIVE).values_list(
            "pk", flat=True
        )
    )
    summary = Summary(partnerships=len(ids))
    now = timezone.now()
    # An ended partnership is evaluated no more: its failure has nothing left to fix.
    _resolve(wanted - set(ids), now)
    if not ids:
        return summary
    histories, broken = _build(ids)
    _failed(broken, summary, now)
    return persist(histories, summary)


def _build(ids: list[int]) -> tuple[dict[int, ClientHistory], dict[int, Exception]]:
    """The histories of these partnerships, and the error of each one that cannot be built.

    One chunk first (a handful of queries for any number); when it fails, each half on its
    own, down to one partnership at a time for those that still fail."""
    try:
        with transaction.atomic():  # a failed query must not break the caller's transaction
            return build_histories(ids), {}
    except Exception as exc:
        if len(ids) == 1:
            return {}, {ids[0]: exc}
    middle = len(ids) // 2
    histories, broken = _build(ids[:middle])
    more, more_broken = _build(ids[middle:])
    histories.update(more)
    broken.update(more_broken)
    return histories, broken


def persist(histories: dict[int, ClientHistory], summary: Summary) -> Summary:
    """Evaluate each history and write its alerts; a partnership whose evaluation raises
    changes nothing, is recorded as failing and stops no one else's."""
    now = timezone.now()
    if not histories:
        return summary
    try:
        config = rule_config()
    except Exception as exc:  # the practice's bands cannot be read: nobody can be evaluated
        _failed(dict.fromkeys(histories, exc), summary, now)
        return summary
    client_of = dict(
        Partnership.objects.filter(pk__in=list(histories)).values_list("pk", "client_id")
    )
    existing: dict[int, list[Alert]] = defaultdict(list)
    # Safety alerts and unanswered safety questions are raised in the submitting request
    # and closed by a clinician; the rules engine neither updates nor repairs them.
    for alert in Alert.objects.filter(partnership_id__in=list(histories)).exclude(
        kind__in=(AlertKind.SAFETY, AlertKind.SAFETY_UNANSWERED)
    ):
        existing[alert.partnership_id or 0].append(alert)
    to_create: list[Alert] = []
    clean: list[int] = []
    broken: dict[int, Exception] = {}
    for pid, history in histories.items():
        here = Summary()
        try:
            with transaction.atomic():
                new = _evaluate_one(
                    pid, client_of[pid], history, existing.get(pid, []), config, here, now
                )
        except Exception as exc:
            broken[pid] = exc
            continue
        summary.add(here)
        to_create.extend(new)
        clean.append(pid)
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
    except Exception:
        # Another evaluation of one of these partnerships (a check-in's and a message's can
        # run at once) raised the same kind meanwhile: one open alert per kind is the rule,
        # so keep theirs and create the rest one by one. An alert that cannot be stored for
        # another reason fails its own partnership only.
        stored, not_stored = _create_one_by_one(to_create, now)
        summary.raised -= len(to_create) - stored
        broken.update(not_stored)
    _failed(broken, summary, now)
    _resolve(set(clean) - set(broken), now)
    return summary


def _evaluate_one(
    pid: int,
    client_id: int,
    history: ClientHistory,
    alerts_here: list[Alert],
    config: RuleConfig,
    summary: Summary,
    now: dt.datetime,
) -> list[Alert]:
    """One partnership's rules and writes (updates and repairs); returns the alerts to
    create. Run inside a savepoint: when it raises, nothing of it is kept."""
    open_by_kind = {a.kind: a for a in alerts_here if a.is_open}
    states = [_state_of(a) for a in open_by_kind.values()]
    found = evaluate(history, config, ())
    to_create: list[Alert] = []
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
        to_create.append(_new(pid, client_id, engine_alert, now))
        summary.raised += 1
    for state in states:
        if repaired_rule.check(history, config, [state]):
            alert = open_by_kind[state.kind]
            if alert.state == Alert.State.REPAIR_PLANNED:
                _mark_repaired(alert, now)
                summary.repaired += 1
    return to_create


def _create_one_by_one(alerts: list[Alert], now: dt.datetime) -> tuple[int, dict[int, Exception]]:
    """Create each alert with its event; returns how many were stored, and the error of
    each partnership whose alert could not be (one that already existed is no error)."""
    stored = 0
    broken: dict[int, Exception] = {}
    for alert in alerts:
        alert.pk = None
        alert._state.adding = True
        try:
            with transaction.atomic():
                alert.save(force_insert=True)
                AlertEvent.objects.create(
                    alert=alert, action=AlertEvent.Action.RAISED, created_at=now
                )
        except IntegrityError as exc:
            if not _is_one_open_per_kind(exc):
                broken[alert.partnership_id or 0] = exc
        except Exception as exc:
            broken[alert.partnership_id or 0] = exc
        else:
            stored += 1
    return stored, broken


def _is_one_open_per_kind(exc: IntegrityError) -> bool:
    """The one-open-alert-per-kind rule (PostgreSQL names the constraint; SQLite names its
    columns)."""
    text = str(exc)
    return "one_open_alert_per_kind" in text or "checkins_alert.partnership_id" in text


# --- failures -------------------------------------------------------------------------------

# Quoted text in an error message is blanked unless it is a name (an item, a key): a
# malformed row could put a client's words into a message such as "could not convert
# string to float: '...'", and the admin page must show no clinical text.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NAME = re.compile(r"['\"][A-Za-z0-9_.:-]{0,40}['\"]")


def safe_message(exc: BaseException) -> str:
    """The exception's message without quoted free text, cut short."""
    text = " ".join(str(exc).split())
    text = _QUOTED.sub(lambda m: m.group(0) if _NAME.fullmatch(m.group(0)) else "'…'", text)
    if len(text) > MESSAGE_LENGTH:
        text = text[: MESSAGE_LENGTH - 1] + "…"
    return text


def _failed(broken: dict[int, Exception], summary: Summary, now: dt.datetime) -> None:
    if not broken:
        return
    for pid, exc in list(broken.items())[:LOGGED_FAILURES]:
        logger.error(
            "alert evaluation of partnership %s failed: %s: %s",
            pid,
            type(exc).__name__,
            safe_message(exc),
            exc_info=exc,
        )
    if len(broken) > LOGGED_FAILURES:  # a practice-wide input is broken: one line for the rest
        logger.error(
            "alert evaluation of %s more partnerships failed", len(broken) - LOGGED_FAILURES
        )
    summary.failed += len(broken)
    summary.failed_ids.extend(sorted(broken))
    record_failures(broken, now=now)


def record_failures(broken: dict[int, Exception], *, now: dt.datetime) -> None:
    """One open failure per partnership: a new one is created, an open one counts again.

    A few statements for any number (the failures of a whole practice share their error
    when a practice-wide input is broken)."""
    open_rows = _with_open_failure(list(broken))
    by_error: dict[tuple[str, str], list[int]] = defaultdict(list)
    new: list[AlertEvaluationFailure] = []
    for pid, exc in broken.items():
        error, message = type(exc).__name__[:100], safe_message(exc)
        if pid in open_rows:
            by_error[(error, message)].append(pid)
        else:
            new.append(
                AlertEvaluationFailure(
                    partnership_id=pid,
                    error=error,
                    message=message,
                    first_failed_at=now,
                    last_failed_at=now,
                )
            )
    for (error, message), pids in by_error.items():
        _count_again(pids, error, message, now)
    try:
        with transaction.atomic():
            AlertEvaluationFailure.objects.bulk_create(new, batch_size=1000)
    except IntegrityError:
        # Another worker recorded one of them meanwhile: record each on its own.
        for row in new:
            try:
                with transaction.atomic():
                    row.pk = None
                    row._state.adding = True
                    row.save(force_insert=True)
            except IntegrityError:
                _count_again([row.partnership_id], row.error, row.message, now)


def _with_open_failure(partnership_ids: list[int]) -> set[int]:
    return set(
        AlertEvaluationFailure.objects.filter(
            partnership_id__in=partnership_ids, resolved_at__isnull=True
        ).values_list("partnership_id", flat=True)
    )


def _count_again(pids: list[int], error: str, message: str, now: dt.datetime) -> None:
    AlertEvaluationFailure.objects.filter(partnership_id__in=pids, resolved_at__isnull=True).update(
        count=F("count") + 1, last_failed_at=now, error=error, message=message
    )


def _resolve(partnership_ids: Iterable[int], now: dt.datetime) -> None:
    ids = list(partnership_ids)
    if ids:
        AlertEvaluationFailure.objects.filter(
            partnership_id__in=ids, resolved_at__isnull=True
        ).update(resolved_at=now)


# --- writes of one alert --------------------------------------------------------------------


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


# --- the whole practice ---------------------------------------------------------------------


def recompute_all(*, chunk: int = 5000) -> Summary:
    """Whole-practice recompute: the engine's vectorised batch finds the partnerships with
    any flag; only those (and those with an open alert or an open evaluation failure) are
    evaluated in detail (evidence, texts) and persisted. Runs to the end whatever fails."""
    summary = Summary()
    now = timezone.now()
    ids = list(
        Partnership.objects.filter(status=Partnership.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    active = set(ids)
    failing = set(
        AlertEvaluationFailure.objects.filter(resolved_at__isnull=True).values_list(
            "partnership_id", flat=True
        )
    )
    _resolve(failing - active, now)
    with_open = set(
        Alert.objects.filter(is_open=True, partnership_id__in=ids).values_list(
            "partnership_id", flat=True
        )
    )
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        summary.partnerships += len(part)
        histories, broken = _build(part)
        _failed(broken, summary, now)
        flagged = _flagged(histories)
        todo = {
            k: h for k, h in histories.items() if k in flagged or k in with_open or k in failing
        }
        persist(todo, summary)
    return summary


def _flagged(histories: dict[int, ClientHistory]) -> set[int]:
    """The partnerships with any flag by the engine's vectorised batch; all of them when
    the batch itself fails (each is then evaluated in detail, on its own)."""
    keys = list(histories)
    rows = [histories[k] for k in keys]
    if not rows:
        return set()
    try:
        config = rule_config()
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
        flags: list[bool] = np.any(severity > 0, axis=1).tolist()
    except Exception:
        logger.exception("the batch evaluation of %s partnerships failed", len(rows))
        return set(keys)
    return {k for k, f in zip(keys, flags, strict=True) if f}
