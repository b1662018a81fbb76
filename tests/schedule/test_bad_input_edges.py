"""Bad input to booking and the calendar feed: a clear 4xx, nothing stored, never a 500."""

from __future__ import annotations

import json

import pytest

from alliance.schedule import services
from alliance.schedule.models import Appointment
from tests.conftest import logged_in
from tests.schedule.conftest import ny

pytestmark = pytest.mark.django_db

END_OF_TIME = "9999-12-31T23:30:00+00:00"  # + 50 minutes is past datetime.max


def test_booking_page_refuses_a_time_at_the_end_of_the_calendar(
    partnership, client_user, open_week
):
    response = logged_in(client_user).post(
        f"/schedule/partnerships/{partnership.pk}/book/",
        {"starts_at": END_OF_TIME, "modality": "video"},
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_booking_api_refuses_a_time_at_the_end_of_the_calendar(partnership, client_user, open_week):
    response = logged_in(client_user).post(
        "/api/schedule/appointments",
        json.dumps(
            {"partnership_id": partnership.pk, "starts_at": END_OF_TIME, "modality": "video"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_reschedule_page_refuses_a_time_at_the_end_of_the_calendar(
    partnership, client_user, open_week
):
    booked = services.book_appointment(
        partnership=partnership, starts_at=ny(3, 10), modality="video", by=client_user
    )
    response = logged_in(client_user).post(
        f"/schedule/appointments/{booked.pk}/reschedule/", {"starts_at": END_OF_TIME}
    )
    assert response.status_code == 400
    booked.refresh_from_db()
    assert booked.starts_at == ny(3, 10)


def test_reschedule_api_refuses_a_time_at_the_end_of_the_calendar(
    partnership, client_user, open_week
):
    booked = services.book_appointment(
        partnership=partnership, starts_at=ny(3, 10), modality="video", by=client_user
    )
    response = logged_in(client_user).post(
        f"/api/schedule/appointments/{booked.pk}/reschedule",
        json.dumps({"starts_at": "9999-12-31T23:30:00Z"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    booked.refresh_from_db()
    assert booked.starts_at == ny(3, 10)


def test_feed_token_with_a_nul_byte_is_refused(client_user):
    # Without the check, PostgreSQL's lookup itself raises DataError (a server error).
    from django.test import Client

    response = Client().get("/schedule/feed/%00.ics")
    assert response.status_code == 400 and b"NUL" in response.content
