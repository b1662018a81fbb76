"""The Django-side adapter builds engine rows correctly, whatever the engine does with them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.care import match_index, services, therapist_rows
from alliance.care.hour_masks import preferred_mask
from alliance.directory.models import Licence
from alliance.matching.vocabulary import hour_of_week
from tests.care.conftest import add_window
from tests.conftest import make_client, make_therapist

pytestmark = pytest.mark.django_db


def _row(therapist_id: int):
    return {r.id: r for r in therapist_rows.fetch_rows()}.get(therapist_id)


def test_expired_and_unverified_licences_are_left_out(jurisdiction, other_therapist):
    # given a therapist with a valid licence, one whose licence expired, one unverified
    expired = make_therapist("expired@example.org", jurisdiction, name="Dr Exp")
    Licence.objects.filter(therapist=expired).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    unverified = make_therapist("unverified@example.org", jurisdiction, name="Dr Unv")
    Licence.objects.filter(therapist=unverified).update(verified_at=None)
    # then only the valid one becomes a row
    ids = {r.id for r in therapist_rows.fetch_rows()}
    assert other_therapist.pk in ids
    assert expired.pk not in ids and unverified.pk not in ids
    assert _row(other_therapist.pk).jurisdictions == frozenset({"US-NY"})


def test_free_capacity_is_capacity_minus_active_partnerships(partnership, their_therapist):
    profile = their_therapist.therapist_profile
    profile.capacity = 3
    profile.save(update_fields=["capacity"])
    row = _row(their_therapist.pk)
    assert (row.capacity, row.free_capacity) == (3, 2)
    services.end_partnership(partnership=partnership, reason="completed")
    assert _row(their_therapist.pk).free_capacity == 3
    profile.accepting_new_clients = False
    profile.save(update_fields=["accepting_new_clients"])
    assert _row(their_therapist.pk).free_capacity == 0


def test_availability_becomes_utc_hours_across_dst(other_therapist):
    # given Monday 9:00-10:00 in New York; US clocks go forward on Sunday 8 March 2026
    add_window(other_therapist, weekday=0, start=9, end=10)
    before = dt.datetime(2026, 2, 26, 12, tzinfo=dt.UTC)  # coming Monday: 2 March, EST
    after = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)  # coming Monday: 9 March, EDT
    rows_before = {r.id: r for r in therapist_rows.fetch_rows(now=before)}
    rows_after = {r.id: r for r in therapist_rows.fetch_rows(now=after)}
    assert rows_before[other_therapist.pk].availability == 1 << hour_of_week(0, 14)
    assert rows_after[other_therapist.pk].availability == 1 << hour_of_week(0, 13)


def test_client_preferred_times_follow_dst_and_half_hour_zones():
    monday_9 = [[0, 9, 10]]
    before = dt.datetime(2026, 2, 26, 12, tzinfo=dt.UTC)
    after = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)
    assert preferred_mask("America/New_York", monday_9, before) == 1 << hour_of_week(0, 14)
    assert preferred_mask("America/New_York", monday_9, after) == 1 << hour_of_week(0, 13)
    # India is UTC+5:30: no whole UTC hour fits inside a one-hour local window
    assert preferred_mask("Asia/Kolkata", monday_9, after) == 0
    assert preferred_mask("Asia/Kolkata", [[0, 9, 11]], after) == 1 << hour_of_week(0, 4)


def test_rows_take_a_fixed_number_of_queries(jurisdiction):
    make_therapist("t1@example.org", jurisdiction, name="Dr One")
    with CaptureQueriesContext(connection) as few:
        therapist_rows.fetch_rows()
    for i in range(5):
        t = make_therapist(f"more{i}@example.org", jurisdiction, name=f"Dr {i}")
        add_window(t, weekday=i, start=9, end=12)
    with CaptureQueriesContext(connection) as many:
        rows = therapist_rows.fetch_rows()
    assert len(rows) == 6
    assert len(many) == len(few)


def test_index_rebuilds_when_capacity_changes(jurisdiction, other_therapist):
    first = match_index.current_index()
    assert match_index.current_index() is first  # unchanged: the same snapshot
    client = make_client("new@example.org", jurisdiction, name="Nia")
    services.start_partnership(client=client, therapist=other_therapist)
    second = match_index.current_index()
    assert second is not first and second.version != first.version
    row = list(second.ids).index(other_therapist.pk)
    assert int(second.free[row]) == 19


def test_index_rebuilds_when_a_licence_lapses(other_therapist):
    first = match_index.current_index()
    assert other_therapist.pk in first.ids
    Licence.objects.filter(therapist=other_therapist).update(lapsed_at=timezone.now())
    assert other_therapist.pk not in match_index.current_index().ids


def test_unknown_specialties_and_old_domain_names_are_mapped(other_therapist):
    profile = other_therapist.therapist_profile
    profile.specialties = ["anxiety", "serious_mental_illness", "made_up"]
    profile.save(update_fields=["specialties"])
    assert _row(other_therapist.pk).specialties == frozenset({"anxiety", "psychosis_spectrum"})
