"""Endings: the dropout rule (defined once, in alliance/care/ending.py), planned endings
with final measures, and the three-month follow-up."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from alliance.care import ending
from alliance.care.models import Partnership, PlannedEnding
from alliance.schedule import dropout
from alliance.schedule.models import Appointment
from tests.conftest import logged_in, make_appointment

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def calls(monkeypatch):
    from django.db import transaction

    # Endings announce (care/lifecycle.py); check-ins answers through these.
    from alliance.checkins import services

    recorded: list[tuple[str, dict]] = []
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
    monkeypatch.setattr(services, "request_checkin", lambda **kw: recorded.append(("checkin", kw)))
    monkeypatch.setattr(services, "request_follow_up", lambda **kw: recorded.append(("follow", kw)))
    return recorded


def started(partnership, days_ago: int) -> Partnership:
    partnership.started_at = NOW - dt.timedelta(days=days_ago)
    partnership.save(update_fields=["started_at"])
    return partnership


def appointment(partnership, days_from_now: float, status: str = "attended") -> Appointment:
    return make_appointment(partnership, NOW + dt.timedelta(days=days_from_now), status=status)


def test_the_rule_itself():
    last = NOW - dt.timedelta(days=ending.DROPOUT_DAYS)
    assert ending.is_dropout(last_contact=last, has_upcoming=False, planned_ending=False, now=NOW)
    assert not ending.is_dropout(
        last_contact=last + dt.timedelta(hours=1), has_upcoming=False, planned_ending=False, now=NOW
    )
    assert not ending.is_dropout(
        last_contact=last, has_upcoming=True, planned_ending=False, now=NOW
    )
    assert not ending.is_dropout(
        last_contact=last, has_upcoming=False, planned_ending=True, now=NOW
    )


def test_no_attended_appointment_for_28_days_is_dropout(partnership):
    started(partnership, 90)
    appointment(partnership, -29)
    appointment(partnership, -10, status="no_show")  # a missed one is not contact
    status = dropout.dropout_status([partnership.pk], now=NOW)[partnership.pk]
    assert status.is_dropout(NOW) and status.days_left(NOW) == 0
    assert dropout.mark_dropouts(now=NOW) == [partnership.pk]
    partnership.refresh_from_db()
    assert (partnership.status, partnership.end_reason) == ("ended", "dropout")


def test_recent_attendance_gives_the_lead_time(partnership):
    started(partnership, 90)
    appointment(partnership, -20)
    status = dropout.dropout_status([partnership.pk], now=NOW)[partnership.pk]
    assert not status.is_dropout(NOW) and status.days_left(NOW) == 8
    assert dropout.mark_dropouts(now=NOW) == []


def test_a_new_partnership_without_appointments_counts_from_its_start(partnership):
    started(partnership, 10)
    assert dropout.mark_dropouts(now=NOW) == []
    started(partnership, 30)
    assert dropout.mark_dropouts(now=NOW) == [partnership.pk]


def test_an_appointment_booked_ahead_or_a_planned_ending_is_not_dropout(
    partnership, their_therapist
):
    started(partnership, 90)
    appointment(partnership, -40)
    upcoming = appointment(partnership, 5, status="scheduled")
    assert dropout.mark_dropouts(now=NOW) == []
    upcoming.status, upcoming.cancelled_at = "cancelled", NOW
    upcoming.save()
    PlannedEnding.objects.create(
        partnership=partnership, planned_by=their_therapist, last_day=NOW.date()
    )
    assert dropout.mark_dropouts(now=NOW) == []
    partnership.refresh_from_db()
    assert partnership.is_active


def test_planned_ending_asks_for_final_measures_once(partnership, their_therapist, calls):
    last_day = timezone.localdate() + dt.timedelta(days=21)
    ending.plan_ending(partnership=partnership, by=their_therapist, last_day=last_day)
    ending.plan_ending(
        partnership=partnership, by=their_therapist, last_day=last_day + dt.timedelta(days=7)
    )
    assert calls == [("checkin", {"partnership": partnership, "appointment_id": None})]
    planned = PlannedEnding.objects.get()
    assert planned.last_day == last_day + dt.timedelta(days=7)
    assert planned.final_measures_requested_at is not None


def test_planned_ending_page_and_bad_input(partnership, their_therapist, client_user, calls):
    url = f"/schedule/partnerships/{partnership.pk}/ending/"
    therapist = logged_in(their_therapist)
    assert therapist.post(url, {"action": "plan", "last_day": "someday"}).status_code == 400
    # The page reads dates in the therapist's own zone (New York), not the server's.
    today = timezone.localdate(timezone=ZoneInfo(their_therapist.timezone))
    past = (today - dt.timedelta(days=1)).isoformat()
    assert therapist.post(url, {"action": "plan", "last_day": past}).status_code == 400
    assert not PlannedEnding.objects.exists() and calls == []
    future = (today + dt.timedelta(days=14)).isoformat()
    assert therapist.post(url, {"action": "plan", "last_day": future}).status_code == 302
    assert PlannedEnding.objects.exists() and len(calls) == 1
    # The client cannot end it as "completed" (only the therapist can).
    assert (
        logged_in(client_user).post(url, {"action": "end", "reason": "completed"}).status_code
        == 400
    )
    partnership.refresh_from_db()
    assert partnership.is_active


def test_completed_ending_offers_and_requests_the_follow_up_at_three_months(
    partnership, their_therapist, client_user, calls
):
    future_appt = appointment(partnership, 3, status="scheduled")
    ending.plan_ending(
        partnership=partnership,
        by=their_therapist,
        last_day=timezone.localdate() + dt.timedelta(days=1),
    )
    response = logged_in(their_therapist).post(
        f"/schedule/partnerships/{partnership.pk}/ending/", {"action": "end", "reason": "completed"}
    )
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert (partnership.status, partnership.end_reason) == ("ended", "completed")
    future_appt.refresh_from_db()
    assert future_appt.status == "cancelled" and not future_appt.late_cancellation
    planned = PlannedEnding.objects.get()
    # The ending was recorded by a request in the therapist's zone, so three months run from
    # their date, which is a day behind the server's in the evening.
    therapist_today = timezone.localdate(timezone=ZoneInfo(their_therapist.timezone))
    assert planned.follow_up_due_on == therapist_today + ending.FOLLOW_UP_AFTER
    # The client accepts the offer on the ending page (still theirs to open after the end).
    page = logged_in(client_user).get(f"/schedule/partnerships/{partnership.pk}/ending/")
    assert "three months" in page.content.decode()
    logged_in(client_user).post(
        f"/schedule/partnerships/{partnership.pk}/ending/", {"action": "follow_up", "wanted": "1"}
    )
    before_due = planned.follow_up_due_on - dt.timedelta(days=1)
    assert ending.request_due_follow_ups(today=before_due) == []
    assert ending.request_due_follow_ups(today=planned.follow_up_due_on) == [partnership.pk]
    assert ending.request_due_follow_ups(today=planned.follow_up_due_on) == []  # once
    follow_ups = [c for c in calls if c[0] == "follow"]
    assert len(follow_ups) == 1 and follow_ups[0][1]["partnership"].pk == partnership.pk


def test_no_follow_up_when_the_client_declines(partnership, their_therapist, client_user, calls):
    ending.plan_ending(partnership=partnership, by=their_therapist, last_day=timezone.localdate())
    ending.answer_follow_up_offer(partnership=partnership, by=client_user, wanted=False)
    ending.end(partnership=partnership, by=their_therapist, reason="completed")
    assert ending.request_due_follow_ups(today=timezone.localdate() + dt.timedelta(days=200)) == []


def test_client_can_end_and_strangers_cannot(partnership, client_user, other_therapist):
    with pytest.raises(ending.PartnershipError):
        ending.end(partnership=partnership, by=other_therapist, reason="therapist_ended")
    with pytest.raises(ending.PartnershipError):
        ending.end(partnership=partnership, by=client_user, reason="dropout")
    ending.end(partnership=partnership, by=client_user, reason="client_ended")
    partnership.refresh_from_db()
    assert partnership.end_reason == "client_ended"


def test_an_ending_is_planned_at_most_a_year_ahead(partnership, their_therapist, calls):
    from alliance.care.services import PartnershipError

    with pytest.raises(PartnershipError):
        ending.plan_ending(
            partnership=partnership, by=their_therapist, last_day=dt.date(9999, 12, 31)
        )
    assert not PlannedEnding.objects.exists() and calls == []
