"""The risk model in use, and its nightly refit on the practice's own history.

Until the practice's history holds `risk.MIN_EVENTS` events the shipped prior is used
(fitted on simulation; docs/alerts.md). Above that, each night refits the model on every
partnership's history, shrunk toward the prior, and stores it (`RiskModelFit`); the newest
fit is the model from then on, in every worker.

Events the refit learns from: a partnership ended by the dropout rule (at the session after
its last one), and a reliable deterioration observed on an outcome measure (at the first
session it shows). Other endings (completed, switched, ended by either side) are not events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from django.utils import timezone

from alliance.care.models import Partnership
from alliance.checkins.history import build_histories, rule_config
from alliance.checkins.models import RiskModelFit
from alliance.measures.alerts import ClientHistory, RuleConfig, risk

logger = logging.getLogger(__name__)


def current() -> risk.RiskModel:
    """The newest refit, or the shipped prior when there is none (one small query: every
    worker sees a new fit at once)."""
    coefficients = (
        RiskModelFit.objects.order_by("-fitted_at", "-id")
        .values_list("coefficients", flat=True)
        .first()
    )
    if coefficients is None:
        return risk.PRIOR
    return risk.RiskModel.from_json(coefficients)


def _deterioration_session(history: ClientHistory, config: RuleConfig) -> int:
    for instrument, points in history.instrument_series().items():
        thresholds = config.outcome.instruments.get(instrument)
        if thresholds is None or not points:
            continue
        first = points[0].total
        for point in points[1:]:
            change = point.total - first if thresholds.lower_is_better else first - point.total
            if change >= thresholds.reliable_change:
                return point.session
    return 0


def event_sessions(
    histories: dict[int, ClientHistory], dropouts: Iterable[int], config: RuleConfig
) -> dict[int, int]:
    """The session of each partnership's first event (0 for none)."""
    dropped = set(dropouts)
    out = {}
    for pid, history in histories.items():
        at = _deterioration_session(history, config)
        if pid in dropped:
            sessions = [a.session for a in history.attendance] + [
                c.session for c in history.checkins
            ]
            end = max(sessions, default=0) + 1
            at = min(at, end) if at else end
        out[pid] = at
    return out


def refit() -> RiskModelFit | None:
    """Refit on every partnership's history; None (and the model unchanged) below
    `risk.MIN_EVENTS` events."""
    ids = list(Partnership.objects.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return None
    histories = build_histories(ids)
    config = rule_config()
    dropouts = Partnership.objects.filter(end_reason=Partnership.EndReason.DROPOUT).values_list(
        "pk", flat=True
    )
    events = event_sessions(histories, dropouts, config)
    keys = [k for k, h in histories.items() if h.checkins or h.outcomes or h.attendance]
    if not keys:
        return None
    data = risk.pack([histories[k] for k in keys])
    event_at = np.array([events[k] for k in keys], dtype=np.int64)
    x, k, y = risk.training_set(data, event_at, config)
    # Events are clients with one, not the (correlated) rows each labels.
    clients_with_event = int(((event_at > 1) & (event_at <= risk.current_session(data) + 1)).sum())
    if clients_with_event < risk.MIN_EVENTS:
        logger.info(
            "risk model: %s clients with an event in the practice's history, %s needed; "
            "the prior stays",
            clients_with_event,
            risk.MIN_EVENTS,
        )
        return None
    model = risk.refit(
        x, k, y, prior=risk.PRIOR, source="practice history", events=clients_with_event
    )
    return RiskModelFit.objects.create(
        coefficients=model.to_json(),
        events=model.events,
        observations=model.observations,
        partnerships=len(keys),
        fitted_at=timezone.now(),
    )


def refit_nightly() -> None:
    """The worker clock's daily job."""
    fit = refit()
    if fit is not None:
        logger.info("risk model refitted on %s events", fit.events)
