"""`alliance refit-matching`: learn the matching weights from the practice's own history.

Each partnership with an observed session-3 alliance (from checkins) gives the unweighted
score components it would be matched on (`Index.features`) and the alliance it reached. The
engine (`learn.refit`) fits new weights with k-fold cross-validation on held-out
partnerships; they replace the current ones only if held-out fit improves. Every weight set
is stored with its version, and every shown match stores the version it was ranked with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from alliance.care.client_query import query_for
from alliance.care.match_index import current_weights
from alliance.care.models import Intake, Partnership, WeightSet
from alliance.care.therapist_rows import _number, fetch_rows, observed_by_partnership
from alliance.matching import Index
from alliance.matching.learn import refit
from alliance.matching.weights import COMPONENTS

FOLDS = 5


@dataclass(frozen=True)
class RefitOutcome:
    replaced: bool
    version: str
    partnerships: int
    message: str
    cv_error_current: float | None = None
    cv_error_new: float | None = None


@transaction.atomic
def refit_weights(*, now: dt.datetime | None = None, seed: int = 0) -> RefitOutcome:
    now = now or timezone.now()
    current = current_weights()
    history = list(
        Partnership.objects.filter(intake__isnull=False)
        .order_by("id")
        .values_list("id", "therapist_id", "intake_id")
    )
    alliance, _outcome = observed_by_partnership([p[0] for p in history])
    observed = [
        (pid, tid, iid, _number(alliance.get(pid)))
        for pid, tid, iid in history
        if _number(alliance.get(pid)) is not None
    ]
    if len(observed) < 2 * FOLDS:
        return RefitOutcome(
            False,
            current.version,
            len(observed),
            f"Nothing to learn from yet: {len(observed)} partnerships have a session-3 "
            f"alliance rating (at least {2 * FOLDS} are needed). The current weights "
            f"({current.version}) stay.",
        )
    index = Index.build(fetch_rows(now=now), version="refit", weights=current)
    known = set(index.ids.tolist())
    intakes = Intake.objects.select_related("jurisdiction").in_bulk({o[2] for o in observed})
    features, outcomes = [], []
    for _pid, therapist_id, intake_id, value in observed:
        if therapist_id not in known or value is None:
            continue
        query = query_for(intakes[intake_id], now=now)
        features.append(index.features(query, [therapist_id])[0])
        outcomes.append(value)
    if len(features) < 2 * FOLDS:
        return RefitOutcome(
            False,
            current.version,
            len(features),
            "Nothing to learn from yet: too few rated partnerships with therapists still in "
            f"the directory. The current weights ({current.version}) stay.",
        )
    version = f"{now:%Y%m%d-%H%M%S}-practice-{len(features)}"
    report = refit(np.array(features), np.array(outcomes), current, new_version=version, seed=seed)
    if report.replaced:
        WeightSet.objects.filter(active=True).update(active=False)
        WeightSet.objects.create(
            version=version,
            weights={name: float(getattr(report.weights, name)) for name in COMPONENTS},
            active=True,
            partnerships=report.partnerships,
            cv_error_current=report.cv_error_current,
            cv_error_new=report.cv_error_new,
        )
        message = (
            f"New weights {version} replace {current.version}: held-out error "
            f"{report.cv_error_new:.3f} against {report.cv_error_current:.3f} "
            f"({report.partnerships} partnerships, {report.folds}-fold)."
        )
    else:
        message = (
            f"The current weights ({current.version}) stay: refitted weights did not improve "
            f"held-out error enough ({report.cv_error_new:.3f} against "
            f"{report.cv_error_current:.3f}, {report.partnerships} partnerships)."
        )
    return RefitOutcome(
        report.replaced,
        report.weights.version,
        report.partnerships,
        message,
        report.cv_error_current,
        report.cv_error_new,
    )
