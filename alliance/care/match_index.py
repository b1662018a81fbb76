"""Each worker's in-memory matching `Index`, and the version that says when to rebuild it.

`current_index()` keeps one `Index` per worker process, keyed by a version read from the
database on every request (one query): the `MatchIndexVersion` counter, bumped by the
services that change capacity (starting and ending partnerships), plus a cheap signature of
the directory tables (newest profile change, licence and availability counts and dates),
today's date (licences expire by the day), the active weight set and a time bucket for the
therapist records. When any of these differ, the worker rebuilds its snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from alliance.care.models import MatchIndexVersion, WeightSet
from alliance.care.therapist_rows import fetch_rows
from alliance.directory.models import AvailabilityWindow, Licence, TherapistProfile
from alliance.matching import DEFAULT_WEIGHTS, Index, Weights


def bump_index_version() -> None:
    """Tell every worker to rebuild its index (call inside the changing transaction)."""
    if MatchIndexVersion.objects.filter(pk=1).update(counter=F("counter") + 1):
        return
    try:
        with transaction.atomic():
            MatchIndexVersion.objects.create(pk=1, counter=1)
    except IntegrityError:
        MatchIndexVersion.objects.filter(pk=1).update(counter=F("counter") + 1)


def _version_key(today: dt.date, now: dt.datetime) -> tuple[str, str]:
    """(index key, active weights version) from one query."""
    tables = {
        "v": MatchIndexVersion._meta.db_table,
        "p": TherapistProfile._meta.db_table,
        "l": Licence._meta.db_table,
        "a": AvailabilityWindow._meta.db_table,
        "w": WeightSet._meta.db_table,
    }
    # Table names come from model metadata; nothing here comes from input.
    sql = (  # noqa: S608
        "SELECT (SELECT counter FROM {v} WHERE id = 1),"
        " (SELECT MAX(updated_at) FROM {p}), (SELECT COUNT(*) FROM {p}),"
        " (SELECT COUNT(*) FROM {l}), (SELECT MAX(created_at) FROM {l}),"
        " (SELECT MAX(verified_at) FROM {l}), (SELECT MAX(lapsed_at) FROM {l}),"
        " (SELECT MAX(expires_on) FROM {l}), (SELECT MIN(expires_on) FROM {l}),"
        " (SELECT COUNT(*) FROM {a}), (SELECT MAX(id) FROM {a}),"
        " (SELECT version FROM {w} WHERE active ORDER BY created_at DESC, id DESC LIMIT 1)"
    ).format(**tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    weights_version = row[-1] or DEFAULT_WEIGHTS.version
    bucket = int(now.timestamp()) // max(1, settings.MATCHING_RECORDS_REFRESH_SECONDS)
    # The availability mask covers the coming week, so it is rebuilt at least hourly.
    hour = int(now.timestamp()) // 3600
    raw = "|".join(str(v) for v in (*row, today.isoformat(), bucket, hour))
    return f"{row[0] or 0}-{hashlib.sha256(raw.encode()).hexdigest()[:12]}", weights_version


def current_weights() -> Weights:
    found = WeightSet.objects.filter(active=True).order_by("-created_at", "-id").first()
    if found is None:
        return DEFAULT_WEIGHTS
    return Weights(version=found.version, **found.weights)


@dataclass
class _Snapshot:
    key: str
    index: Index
    names: dict[int, str]


_snapshot: _Snapshot | None = None
_lock = threading.Lock()


def current_index(now: dt.datetime | None = None) -> Index:
    """This worker's index, rebuilt when the database says the directory changed."""
    global _snapshot
    now = now or timezone.now()
    key, _ = _version_key(timezone.localdate(now), now)
    snap = _snapshot
    if snap is not None and snap.key == key:
        return snap.index
    with _lock:
        snap = _snapshot
        if snap is not None and snap.key == key:
            return snap.index
        index = Index.build(
            fetch_rows(now=now),
            version=key,
            weights=current_weights(),
            min_cases=settings.MATCHING_MIN_CASES,
        )
        _snapshot = _Snapshot(key, index, {})
        return index


def forget_index() -> None:
    """Drop this worker's snapshot (tests)."""
    global _snapshot
    _snapshot = None
