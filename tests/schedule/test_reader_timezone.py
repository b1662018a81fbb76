"""Every page shows times in the reader's own time zone, not the server's UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.conftest import logged_in, make_appointment

pytestmark = pytest.mark.django_db


def test_the_caseload_shows_the_next_appointment_in_the_therapists_zone(
    partnership, their_therapist
):
    assert their_therapist.timezone == "America/New_York"
    soon = (timezone.now() + dt.timedelta(days=3)).date()
    starts_at = dt.datetime.combine(soon, dt.time(15, 0), tzinfo=dt.UTC)  # 10:00 or 11:00 there
    make_appointment(partnership, starts_at)
    local = starts_at.astimezone(ZoneInfo("America/New_York"))
    page = logged_in(their_therapist).get("/home/").content.decode()
    assert local.strftime("%H:%M") in page and "15:00" not in page
    assert timezone.get_current_timezone_name() == "UTC"  # nothing leaks past the request


def test_visitors_read_utc(client):
    assert client.get("/").status_code == 200
    assert timezone.get_current_timezone_name() == "UTC"
