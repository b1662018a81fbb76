"""Therapist records come from the cache, equal to computing them directly, and a new
score shows once the records' refresh period (MATCHING_RECORDS_REFRESH_SECONDS) has passed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.care import records
from alliance.care.models import Partnership
from alliance.care.services import end_partnership
from tests.conftest import logged_in, make_client, make_therapist


def _history(monkeypatch, therapist_values: dict[int, list[float]], *, tag: str = "r"):
    """Ended partnerships with an observed outcome change, as check-ins would report them:
    (what check-ins "measure", which a test may change; the sizes of each call)."""
    outcome: dict[int, float] = {}
    for therapist_id, values in therapist_values.items():
        for i, value in enumerate(values):
            client = make_client(f"{tag}{therapist_id}-{i}@example.org", None, name="R")
            p = Partnership.objects.create(
                client=client,
                therapist_id=therapist_id,
                status="ended",
                started_at=timezone.now() - dt.timedelta(days=60),
                ended_at=timezone.now() - dt.timedelta(days=1),
                end_reason="dropout" if i % 3 == 0 else "completed",
            )
            outcome[p.pk] = value
    calls: list[int] = []

    def observed(ids):
        calls.append(len(ids))
        return {i: 0.7 for i in ids}, {i: outcome[i] for i in ids if i in outcome}

    monkeypatch.setattr(records, "observed_by_partnership", observed)
    return outcome, calls


def test_cached_records_equal_the_direct_computation(
    monkeypatch, settings, their_therapist, other_therapist, jurisdiction
):
    settings.MATCHING_MIN_CASES = 3
    newcomer = make_therapist("new@example.org", jurisdiction, name="Dr New")
    _, calls = _history(
        monkeypatch,
        {their_therapist.pk: [4.0, 6.0, 5.0, 7.0], other_therapist.pk: [1.0, 2.0, 0.5]},
    )
    ids = [their_therapist.pk, other_therapist.pk, newcomer.pk]
    # when: computed on a miss, then read from the cache
    first = records.therapist_records(ids)
    second = records.therapist_records(ids)
    # then: both equal the direct computation, a therapist without cases included
    direct = records.compute_records(ids)
    assert first == direct and second == direct
    assert direct[their_therapist.pk].overall.estimates["outcome"].shown
    assert direct[newcomer.pk] == records.compute_records([newcomer.pk])[newcomer.pk]
    assert len(calls) == 1 + 2  # one miss, then the two direct computations


def test_my_records_page_computes_the_practice_once(monkeypatch, settings, their_therapist):
    settings.MATCHING_MIN_CASES = 3
    _, calls = _history(monkeypatch, {their_therapist.pk: [4.0, 6.0, 5.0]})
    browser = logged_in(their_therapist)
    assert browser.get("/care/records/mine/").status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert browser.get("/care/records/mine/").status_code == 200
    assert len(calls) == 1  # the second view read the cache
    _history(monkeypatch, {their_therapist.pk: [1.0] * 12}, tag="more")  # a larger caseload
    assert browser.get("/care/records/mine/").status_code == 200  # a new signature: a miss
    with CaptureQueriesContext(connection) as larger:
        assert browser.get("/care/records/mine/").status_code == 200
    assert len(larger.captured_queries) == len(warm.captured_queries)


def test_a_new_score_shows_after_the_refresh_period(monkeypatch, settings, their_therapist):
    # given: a therapist with enough cases, viewed once
    settings.MATCHING_MIN_CASES = 3
    settings.MATCHING_RECORDS_REFRESH_SECONDS = 900
    outcome, _ = _history(monkeypatch, {their_therapist.pk: [4.0, 6.0, 5.0]})
    start = timezone.now()
    before = records.therapist_records([their_therapist.pk], now=start)[their_therapist.pk]
    # when: a partnership's outcome changes (a new score), no partnership starts or ends
    first = min(outcome)
    outcome[first] = 20.0
    # then: within the refresh period the page keeps its figures, after it they are new
    same = records.therapist_records([their_therapist.pk], now=start)[their_therapist.pk]
    assert same == before
    later = start + dt.timedelta(seconds=900)
    after = records.therapist_records([their_therapist.pk], now=later)[their_therapist.pk]
    assert after != before
    assert after == records.compute_records([their_therapist.pk])[their_therapist.pk]
    assert after.overall.estimates["outcome"].cases == 3


def test_an_ended_partnership_shows_at_once(monkeypatch, settings, their_therapist, partnership):
    # given: the therapist's records, cached, with their active partnership among them
    settings.MATCHING_MIN_CASES = 3
    _history(monkeypatch, {their_therapist.pk: [4.0, 6.0, 5.0]})
    now = timezone.now()
    before = records.therapist_records([their_therapist.pk], now=now)[their_therapist.pk]
    assert before.overall.estimates["switch_away"].mean == pytest.approx(0.0, abs=0.2)
    # when: it ends by a switch, within the same refresh period
    end_partnership(partnership=partnership, reason="switched")
    # then: the record counts it at once, as the direct computation does
    after = records.therapist_records([their_therapist.pk], now=now)[their_therapist.pk]
    assert after != before
    assert after == records.compute_records([their_therapist.pk])[their_therapist.pk]


def test_the_practice_is_one_cache_entry(monkeypatch, settings, jurisdiction):
    # A local-memory cache culls beyond MAX_ENTRIES (300 by default; a practice has more
    # therapists): one entry per therapist would recompute the practice on most views.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "records-small",
            "OPTIONS": {"MAX_ENTRIES": 3},
        }
    }
    settings.MATCHING_MIN_CASES = 3
    team = [make_therapist(f"team{i}@example.org", jurisdiction, name=f"T{i}") for i in range(5)]
    _, calls = _history(monkeypatch, {t.pk: [1.0, 2.0, 3.0] for t in team})
    now = timezone.now()
    for t in team + team:
        records.therapist_records([t.pk], now=now)
    assert len(calls) == 1
