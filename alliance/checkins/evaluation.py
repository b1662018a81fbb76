"""Evaluate the monitor for some partnerships (or the whole practice) and persist it.

- Each partnership's risk (measures/alerts/risk.py, the model in use: `risk_model`) is
  computed from its history and stored (`ClientRisk`).
- Each caseload's budget then decides the "needs attention" cards (`attention.py`): at most
  one per client, opened within the budget, closed by themselves when the risk falls back,
  "repaired" when a planned repair held (Eubanks et al. 2018).
- Safety alerts are raised only synchronously (`safety.raise_safety_alert`), in the request
  that stores the signal; evaluation never creates, delays, merges or closes them.

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
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alliance.care.models import Partnership
from alliance.checkins import attention, risk_model
from alliance.checkins.history import build_histories
from alliance.checkins.history import rule_config as rule_config
from alliance.checkins.models import AlertEvaluationFailure
from alliance.measures.alerts import ClientHistory, RuleConfig
from alliance.measures.alerts import risk as engine_risk

logger = logging.getLogger(__name__)
MESSAGE_LENGTH = 300
LOGGED_FAILURES = 20  # each with its traceback; the rest are counted


@dataclass
class Summary:
    partnerships: int = 0
    raised: int = 0
    updated: int = 0
    repaired: int = 0
    closed: int = 0
    failed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    failed_ids: list[int] = field(default_factory=list)

    def add(self, other: Summary) -> None:
        self.raised += other.raised
        self.updated += other.updated
        self.repaired += other.repaired
        self.closed += other.closed
        for kind, n in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + n


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
    """Compute and store each history's risk, then apply each caseload's budget and write
    the cards; a partnership whose evaluation raises changes nothing, is recorded as
    failing and stops no one else's."""
    now = timezone.now()
    if not histories:
        return summary
    try:
        config = rule_config()
        model = risk_model.current()
    except Exception as exc:  # the practice's bands or model cannot be read: nobody can be
        _failed(dict.fromkeys(histories, exc), summary, now)
        return summary
    people = {
        pid: (client, therapist)
        for pid, client, therapist in Partnership.objects.filter(
            pk__in=list(histories)
        ).values_list("pk", "client_id", "therapist_id")
    }
    broken: dict[int, Exception] = {}
    risks = _risks(histories, config, model, broken)
    assessed = [
        attention.Assessed(pid, *people[pid], histories[pid], r)
        for pid, r in risks.items()
        if pid in people
    ]
    try:
        with transaction.atomic():
            attention.store_risks(assessed, source=model.source, now=now)
    except Exception:
        # One row that cannot be stored must not keep the others from theirs.
        for a in list(assessed):
            try:
                with transaction.atomic():
                    attention.store_risks([a], source=model.source, now=now)
            except Exception as exc:
                broken[a.partnership_id] = exc
                assessed.remove(a)
    by_therapist: dict[int, list[attention.Assessed]] = defaultdict(list)
    for a in assessed:
        by_therapist[a.therapist_id].append(a)
    for therapist_id, group in by_therapist.items():
        outcome = attention.apply(therapist_id, group, config, now, broken.__setitem__)
        summary.raised += outcome.raised
        summary.updated += outcome.updated
        summary.repaired += outcome.repaired
        summary.closed += outcome.closed
    for a in assessed:
        if a.risk.reasons and a.partnership_id not in broken:
            top = a.risk.reasons[0].signal
            summary.kinds[top] = summary.kinds.get(top, 0) + 1
    _failed(broken, summary, now)
    _resolve(set(histories) - set(broken), now)
    return summary


def _risks(
    histories: dict[int, ClientHistory],
    config: RuleConfig,
    model: engine_risk.RiskModel,
    broken: dict[int, Exception],
) -> dict[int, engine_risk.Risk]:
    """Every history's risk in one set of arrays; when that fails, each on its own, so a
    bad history fails its own partnership only."""
    keys = list(histories)
    try:
        return dict(
            zip(
                keys,
                engine_risk.assess_many([histories[k] for k in keys], config, model),
                strict=True,
            )
        )
    except Exception:
        out = {}
        for k in keys:
            try:
                out[k] = engine_risk.assess(histories[k], config, model)
            except Exception as exc:
                broken[k] = exc
        return out


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


# --- the whole practice ---------------------------------------------------------------------


def recompute_all(*, chunk: int = 5000) -> Summary:
    """Whole-practice recompute: every active partnership's risk in one set of arrays per
    chunk (each caseload's budget needs all of them), then the cards. Runs to the end
    whatever fails."""
    summary = Summary()
    now = timezone.now()
    ids = list(
        Partnership.objects.filter(status=Partnership.Status.ACTIVE)
        .order_by("therapist_id", "pk")
        .values_list("pk", flat=True)
    )
    active = set(ids)
    failing = set(
        AlertEvaluationFailure.objects.filter(resolved_at__isnull=True).values_list(
            "partnership_id", flat=True
        )
    )
    _resolve(failing - active, now)
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        summary.partnerships += len(part)
        histories, broken = _build(part)
        _failed(broken, summary, now)
        persist(histories, summary)
    return summary
