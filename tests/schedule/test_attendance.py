"""Attendance from call join times or the therapist's mark; what the alert rules read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alliance.measures.alerts.model import Attendance, AttendanceEvent
from alliance.schedule import queries, services
from tests.conftest import logged_in, make_appointment

pytestmark = pytest.mark.django_db


make = make_appointment


@pytest.fixture
def now():
    return timezone.now().replace(second=0, microsecond=0)


def test_client_join_marks_attended_with_lateness(
    partnership, client_user, their_therapist, now, checkin_calls
):
    appointment = make(partnership, now - dt.timedelta(minutes=20))
    services.record_call_join(
        appointment_id=appointment.pk, user=their_therapist, at=appointment.starts_at
    )
    services.record_call_join(
        appointment_id=appointment.pk,
        user=client_user,
        at=appointment.starts_at + dt.timedelta(minutes=7, seconds=30),
    )
    appointment.refresh_from_db()
    assert appointment.status == "attended" and appointment.late_minutes == 7
    assert appointment.attendance_source == "call"
    # A rejoin after a dropped connection does not change the lateness.
    services.record_call_join(
        appointment_id=appointment.pk, user=client_user, at=now + dt.timedelta(minutes=1)
    )
    appointment.refresh_from_db()
    assert appointment.late_minutes == 7
    assert ("alerts", {"partnership_id": partnership.pk}) in checkin_calls


def test_joins_outside_the_appointment_are_ignored(partnership, client_user, now, checkin_calls):
    appointment = make(partnership, now + dt.timedelta(hours=3))
    services.record_call_join(appointment_id=appointment.pk, user=client_user, at=now)
    appointment.refresh_from_db()
    assert appointment.status == "scheduled" and appointment.client_joined_at is None


def test_a_stranger_joining_is_refused(partnership, other_therapist, now):
    appointment = make(partnership, now)
    with pytest.raises(services.ScheduleError):
        services.record_call_join(appointment_id=appointment.pk, user=other_therapist, at=now)


def test_both_leaving_after_meeting_finishes_and_requests_the_checkin_once(
    partnership, client_user, their_therapist, now, checkin_calls
):
    start = now - dt.timedelta(minutes=45)
    appointment = make(partnership, start)
    services.record_call_join(appointment_id=appointment.pk, user=their_therapist, at=start)
    services.record_call_join(appointment_id=appointment.pk, user=client_user, at=start)
    services.record_call_leave(appointment_id=appointment.pk, user=client_user, at=now)
    assert not [c for c in checkin_calls if c[0] == "checkin"]
    services.record_call_leave(appointment_id=appointment.pk, user=their_therapist, at=now)
    services.record_call_leave(appointment_id=appointment.pk, user=their_therapist, at=now)
    assert [c for c in checkin_calls if c[0] == "checkin"] == [
        ("checkin", {"partnership": partnership, "appointment_id": appointment.pk})
    ]


def test_close_marks_a_no_show_when_only_the_therapist_joined(
    partnership, their_therapist, now, checkin_calls
):
    start = now - dt.timedelta(hours=2)
    missed = make(partnership, start, therapist_joined_at=start)
    nobody = make(partnership, start - dt.timedelta(days=7))
    assert services.close_appointment(appointment_id=missed.pk) == "no_show"
    assert services.close_appointment(appointment_id=nobody.pk) == "needs marking"
    missed.refresh_from_db()
    nobody.refresh_from_db()
    assert missed.status == "no_show" and nobody.status == "scheduled"
    assert services.close_appointment(appointment_id=missed.pk) == "already settled"


def test_therapist_marks_attendance_and_bad_input_changes_nothing(
    partnership, their_therapist, client_user, other_therapist, now, checkin_calls
):
    past = make(partnership, now - dt.timedelta(days=1))
    future = make(partnership, now + dt.timedelta(days=1))
    url = f"/schedule/appointments/{past.pk}/attendance/"
    therapist = logged_in(their_therapist)
    therapist.post(url, {"status": "exploded"})
    therapist.post(
        f"/schedule/appointments/{future.pk}/attendance/", {"status": "attended", "late_minutes": 0}
    )
    assert logged_in(client_user).post(url, {"status": "attended"}).status_code == 403
    assert logged_in(other_therapist).post(url, {"status": "attended"}).status_code == 404
    past.refresh_from_db()
    future.refresh_from_db()
    assert past.status == future.status == "scheduled"
    therapist.post(url, {"status": "attended", "late_minutes": 12})
    past.refresh_from_db()
    assert (past.status, past.late_minutes, past.attendance_source) == (
        "attended",
        12,
        "therapist",
    )
    assert ("checkin", {"partnership": partnership, "appointment_id": past.pk}) in checkin_calls


def test_attendance_for_alerts_numbers_sessions_and_skips_early_cancellations(
    partnership, client_user, now
):
    day = dt.timedelta(days=7)
    make(partnership, now - 5 * day, status="attended", late_minutes=0)
    make(partnership, now - 4 * day, status="cancelled", cancelled_at=now)  # in time: no number
    make(
        partnership,
        now - 3 * day,
        status="cancelled",
        cancelled_at=now,
        late_cancellation=True,
    )
    make(partnership, now - 2 * day, status="no_show")
    make(partnership, now - 1 * day, status="attended", late_minutes=9)
    make(partnership, now - dt.timedelta(hours=3))  # nobody recorded it yet
    make(partnership, now + day)  # upcoming
    events = queries.attendance_for_alerts([partnership.pk, 999_999])
    assert events[999_999] == []
    assert events[partnership.pk] == [
        AttendanceEvent(1, Attendance.ATTENDED, 0.0),
        AttendanceEvent(2, Attendance.LATE_CANCELLATION),
        AttendanceEvent(3, Attendance.NO_SHOW),
        AttendanceEvent(4, Attendance.ATTENDED, 9.0),
    ]
    nxt = queries.next_appointments([partnership.pk])
    assert nxt[partnership.pk] == now + day


def test_attendance_for_alerts_query_count_does_not_grow(partnership, jurisdiction, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make(partnership, now - dt.timedelta(days=3), status="attended")
    with CaptureQueriesContext(connection) as one:
        queries.attendance_for_alerts([partnership.pk])
        queries.next_appointments([partnership.pk])
    with CaptureQueriesContext(connection) as many:
        queries.attendance_for_alerts(list(range(1, 200)))
        queries.next_appointments(list(range(1, 200)))
    assert len(one) == len(many) == 2


def test_appointment_for_call_is_the_current_or_imminent_one(partnership, now, settings):
    settings.CALL_JOIN_EARLY_MINUTES = 15
    soon = make(partnership, now + dt.timedelta(minutes=10))
    make(partnership, now + dt.timedelta(days=2))
    assert queries.appointment_for_call(partnership=partnership, at=now) == soon
    assert (
        queries.appointment_for_call(partnership=partnership, at=now - dt.timedelta(hours=1))
        is None
    )
    soon.status, soon.cancelled_at = "cancelled", now
    soon.save()
    assert queries.appointment_for_call(partnership=partnership, at=now) is None


def test_session_number_for_appointment(partnership, now):
    first = make(partnership, now - dt.timedelta(days=14), status="attended")
    second = make(partnership, now - dt.timedelta(days=7), status="attended")
    assert queries.session_number_for_appointment(first.pk) == 1
    assert queries.session_number_for_appointment(second.pk) == 2
    assert queries.session_number_for_appointment(10**9) is None
