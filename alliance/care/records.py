"""Therapist records: early alliance, outcome, dropout and switch-away, per problem domain.

Every figure is an empirical-Bayes estimate shrunk toward the practice mean by the amount
of evidence (engine `shrinkage.shrink_records`; Constantino et al. 2021 profiled therapists
per domain on >= 15 past cases), shown with its 95% interval and only from
`MATCHING_MIN_CASES` cases on. There is no ranking: the admin opens one therapist at a time,
and the list of therapists shows case counts only, never a league table.

Shrinking one therapist's record needs every therapist's (the prior is the practice's), so
the whole practice is computed at once and kept in Django's cache, one entry per therapist,
under a signature of the partnerships (count, newest id, newest ending) and the matching
index's records bucket (`MATCHING_RECORDS_REFRESH_SECONDS`): a started or ended partnership
shows at once, a new check-in score within that refresh period, as in matching.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from alliance.care.models import Partnership
from alliance.care.therapist_rows import _number, domains_of, observed_by_partnership
from alliance.matching.shrinkage import shrink_records
from alliance.matching.vocabulary import DOMAIN_LABELS, DOMAINS

MEASURES = ("alliance", "outcome", "dropout", "switch_away")
OVERALL = "all"


@dataclass(frozen=True)
class Estimate:
    cases: int
    shown: bool
    mean: float
    lower: float
    upper: float
    practice_mean: float


@dataclass
class RecordRow:
    key: str
    label: str
    estimates: dict[str, Estimate] = field(default_factory=dict)

    @property
    def cases(self) -> int:
        return max((e.cases for e in self.estimates.values()), default=0)


@dataclass
class TherapistRecord:
    therapist_id: int
    min_cases: int
    rows: list[RecordRow]

    @property
    def overall(self) -> RecordRow:
        return self.rows[0]


def _values() -> dict[tuple[int, str, str], list[float]]:
    """(therapist, domain or "all", measure) -> the per-partnership values."""
    partnerships = list(
        Partnership.objects.values_list("id", "therapist_id", "intake__concerns", "end_reason")
    )
    alliance, outcome = observed_by_partnership([p[0] for p in partnerships])
    values: dict[tuple[int, str, str], list[float]] = {}
    for pid, therapist_id, concerns, end_reason in partnerships:
        measured: dict[str, Any] = {
            "alliance": _number(alliance.get(pid)),
            "outcome": outcome.get(pid),
            # Dropout is decided once (care.ending) and stored as the end reason.
            "dropout": 1.0 if end_reason == "dropout" else 0.0,
            "switch_away": 1.0 if end_reason == "switched" else 0.0,
        }
        for key in (OVERALL, *domains_of(concerns or [])):
            for measure, value in measured.items():
                if value is not None:
                    values.setdefault((therapist_id, key, measure), []).append(float(value))
    return values


CACHE_PREFIX = "care.records"


def signature(now: dt.datetime | None = None) -> str:
    """What the cached records were computed from, in one cheap aggregate query."""
    now = now or timezone.now()
    agg = Partnership.objects.aggregate(n=Count("id"), last=Max("id"), ended=Max("ended_at"))
    # The same bucket as the matching index's records (care/match_index._version_key).
    bucket = int(now.timestamp()) // max(1, settings.MATCHING_RECORDS_REFRESH_SECONDS)
    raw = "|".join(
        str(v) for v in (agg["n"], agg["last"], agg["ended"], bucket, settings.MATCHING_MIN_CASES)
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def therapist_records(
    therapist_ids: list[int], *, now: dt.datetime | None = None
) -> dict[int, TherapistRecord]:
    """Records for the given therapists from the cache; on a miss the whole practice is
    computed once and cached for every therapist (`compute_records`)."""
    sig = signature(now)
    keys = {t: f"{CACHE_PREFIX}:{sig}:{t}" for t in therapist_ids}
    found = cache.get_many(list(keys.values()))
    records = {t: found[k] for t, k in keys.items() if k in found}
    missing = [t for t in therapist_ids if t not in records]
    if not missing:
        return records
    values = _values()
    # Every therapist with a partnership, and the asked-for ones without (an empty record).
    everyone = sorted({t for t, _k, _m in values} | set(missing))
    computed = compute_records(everyone, values=values)
    timeout = 2 * max(1, settings.MATCHING_RECORDS_REFRESH_SECONDS)
    cache.set_many({f"{CACHE_PREFIX}:{sig}:{t}": r for t, r in computed.items()}, timeout)
    return {t: computed[t] for t in therapist_ids}


def compute_records(
    therapist_ids: list[int] | None = None,
    *,
    values: dict[tuple[int, str, str], list[float]] | None = None,
) -> dict[int, TherapistRecord]:
    """Records for the given therapists (all by default), each shrunk against the whole
    practice, computed from the database now."""
    min_cases = int(settings.MATCHING_MIN_CASES)
    values = _values() if values is None else values
    therapists = sorted({t for t, _k, _m in values})
    wanted = therapists if therapist_ids is None else therapist_ids
    records = {
        t: TherapistRecord(
            t,
            min_cases,
            [RecordRow(OVERALL, "all concerns")]
            + [RecordRow(d, DOMAIN_LABELS[d]) for d in DOMAINS],
        )
        for t in wanted
    }
    if not therapists:
        return records
    position = {t: i for i, t in enumerate(therapists)}
    for row_index, key in enumerate((OVERALL, *DOMAINS)):
        for measure in MEASURES:
            means = np.zeros(len(therapists))
            sds = np.zeros(len(therapists))
            ns = np.zeros(len(therapists), dtype=np.int64)
            for t in therapists:
                found = values.get((t, key, measure))
                if found:
                    arr = np.array(found)
                    i = position[t]
                    means[i], ns[i] = arr.mean(), arr.size
                    sds[i] = arr.std(ddof=1) if arr.size > 1 else 0.0
            if not ns.any():
                continue
            prior, post = shrink_records(means, sds, ns, min_cases=min_cases)
            for t in wanted:
                j = position.get(t)
                if j is None:
                    continue
                records[t].rows[row_index].estimates[measure] = Estimate(
                    cases=int(ns[j]),
                    shown=bool(post.shown[j]),
                    mean=float(post.mean[j]),
                    lower=float(post.lower[j]),
                    upper=float(post.upper[j]),
                    practice_mean=float(prior.mean),
                )
    for record in records.values():
        record.rows = [record.rows[0]] + [r for r in record.rows[1:] if r.cases > 0]
    return records


def case_counts() -> dict[int, int]:
    """Partnerships per therapist (what the list page shows instead of any ranking)."""
    return dict(
        Partnership.objects.values("therapist_id")
        .annotate(n=Count("id"))
        .values_list("therapist_id", "n")
    )
