"""Therapist records: early alliance, outcome, dropout and switch-away, per problem domain.

Every figure is an empirical-Bayes estimate shrunk toward the practice mean by the amount
of evidence (engine `shrinkage.shrink_records`; Constantino et al. 2021 profiled therapists
per domain on >= 15 past cases), shown with its 95% interval and only from
`MATCHING_MIN_CASES` cases on. There is no ranking: the admin opens one therapist at a time,
and the list of therapists shows case counts only, never a league table.

Shrinking one therapist's record needs every therapist's (the prior is the practice's), so
the whole practice is computed at once and kept in Django's cache as arrays (one entry, not
one per therapist: a local-memory cache holds 300 entries and culls beyond that), under a
signature of the partnerships (the newest, and the counter the services bump when one starts
or ends) and the matching index's records bucket (`MATCHING_RECORDS_REFRESH_SECONDS`): a
started or ended partnership shows at once, a new check-in score within that refresh period,
as in matching.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from alliance.care.models import MatchIndexVersion, Partnership
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


CACHE_KEY = "care.records"
KEYS = (OVERALL, *DOMAINS)
# Per (row, measure): cases, shown, mean, lower, upper for each therapist (`Practice.table`).
CASES, SHOWN, MEAN, LOWER, UPPER = range(5)


@dataclass(frozen=True)
class Practice:
    """Every therapist's shrunk figures as arrays: one cache entry, quick to load, from
    which any one therapist's record is read (`record_of`)."""

    min_cases: int
    therapists: np.ndarray  # ids, sorted
    table: np.ndarray  # (rows, measures, 5, therapists)
    practice_mean: np.ndarray  # (rows, measures)
    measured: np.ndarray  # (rows, measures): False where no therapist has a case

    def record_of(self, therapist_id: int) -> TherapistRecord:
        rows = [RecordRow(OVERALL, "all concerns")] + [
            RecordRow(d, DOMAIN_LABELS[d]) for d in DOMAINS
        ]
        record = TherapistRecord(therapist_id, self.min_cases, rows)
        if not self.therapists.size:
            return record
        j = int(np.searchsorted(self.therapists, therapist_id))
        if j < self.therapists.size and self.therapists[j] == therapist_id:
            for r, row in enumerate(rows):
                for m, measure in enumerate(MEASURES):
                    if self.measured[r, m]:
                        cell = self.table[r, m, :, j]
                        row.estimates[measure] = Estimate(
                            cases=int(cell[CASES]),
                            shown=bool(cell[SHOWN]),
                            mean=float(cell[MEAN]),
                            lower=float(cell[LOWER]),
                            upper=float(cell[UPPER]),
                            practice_mean=float(self.practice_mean[r, m]),
                        )
        record.rows = [rows[0]] + [r for r in rows[1:] if r.cases > 0]
        return record


def signature(now: dt.datetime | None = None) -> str:
    """What the cached records were computed from, in one query of two index reads: the
    newest partnership and the matching index's counter, which the services that start and
    end partnerships bump (care/services.py), so a new or ended partnership (and its end
    reason) shows at once; anything else (a new score) waits for the records bucket."""
    now = now or timezone.now()
    tables = {"v": MatchIndexVersion._meta.db_table, "p": Partnership._meta.db_table}
    # Table names come from model metadata; nothing here comes from input.
    sql = "SELECT (SELECT counter FROM {v} WHERE id = 1), (SELECT MAX(id) FROM {p})"
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**tables))
        counter, newest = cursor.fetchone()
    # The same bucket as the matching index's records (care/match_index._version_key).
    bucket = int(now.timestamp()) // max(1, settings.MATCHING_RECORDS_REFRESH_SECONDS)
    raw = "|".join(str(v) for v in (counter, newest, bucket, settings.MATCHING_MIN_CASES))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def therapist_records(
    therapist_ids: list[int], *, now: dt.datetime | None = None
) -> dict[int, TherapistRecord]:
    """Records for the given therapists from the cached `Practice`, computed on a miss."""
    key = f"{CACHE_KEY}:{signature(now)}"
    practice = cache.get(key)
    if practice is None:
        practice = compute_practice()
        cache.set(key, practice, 2 * max(1, settings.MATCHING_RECORDS_REFRESH_SECONDS))
    return {t: practice.record_of(t) for t in therapist_ids}


def compute_records(therapist_ids: list[int] | None = None) -> dict[int, TherapistRecord]:
    """Records for the given therapists (all with a partnership by default), each shrunk
    against the whole practice, computed from the database now."""
    practice = compute_practice()
    wanted = [int(t) for t in practice.therapists] if therapist_ids is None else therapist_ids
    return {t: practice.record_of(t) for t in wanted}


def compute_practice() -> Practice:
    min_cases = int(settings.MATCHING_MIN_CASES)
    values = _values()
    therapists = sorted({t for t, _k, _m in values})
    n = len(therapists)
    table = np.zeros((len(KEYS), len(MEASURES), 5, n))
    practice_mean = np.zeros((len(KEYS), len(MEASURES)))
    measured = np.zeros((len(KEYS), len(MEASURES)), dtype=bool)
    for r, key in enumerate(KEYS):
        for m, measure in enumerate(MEASURES):
            means, sds, ns = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
            for i, t in enumerate(therapists):
                found = values.get((t, key, measure))
                if found:
                    arr = np.array(found)
                    means[i], ns[i] = arr.mean(), arr.size
                    sds[i] = arr.std(ddof=1) if arr.size > 1 else 0.0
            if not ns.any():
                continue
            prior, post = shrink_records(means, sds, ns, min_cases=min_cases)
            table[r, m] = (ns, post.shown, post.mean, post.lower, post.upper)
            practice_mean[r, m] = prior.mean
            measured[r, m] = True
    return Practice(min_cases, np.array(therapists, dtype=np.int64), table, practice_mean, measured)


def case_counts() -> dict[int, int]:
    """Partnerships per therapist (what the list page shows instead of any ranking)."""
    return dict(
        Partnership.objects.values("therapist_id")
        .annotate(n=Count("id"))
        .values_list("therapist_id", "n")
    )
