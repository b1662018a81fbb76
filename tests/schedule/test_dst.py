"""A therapist in New York and a client in London across the US spring-forward change
(14 March 2027; the UK changes on 28 March): the therapist's 09:00 stays 09:00 for them,
moves by an hour in UTC, and the client sees the same instant in their own time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from alliance.directory.models import AvailabilityWindow
from alliance.schedule import availability, services
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
BEFORE = dt.date(2027, 3, 12)  # Friday, New York on EST (UTC-5)
AFTER = dt.date(2027, 3, 15)  # Monday, New York on EDT (UTC-4), London still on GMT
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def mornings(their_therapist, client_user):
    profile = their_therapist.therapist_profile
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(therapist=profile, weekday=d, start=dt.time(9), end=dt.time(12))
        for d in range(7)
    )
    client_user.timezone = "Europe/London"
    client_user.save(update_fields=["timezone"])
    return profile


def first_slot_on(day: dt.date, therapist) -> dt.datetime:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=NY)
    end = start + dt.timedelta(days=1)
    calendar = availability.load_calendar(therapist, start, end)
    return availability.open_slots(calendar, start, end)[0].starts_at


def test_local_hour_holds_and_utc_moves(mornings, their_therapist):
    before = first_slot_on(BEFORE, their_therapist)
    after = first_slot_on(AFTER, their_therapist)
    assert before.astimezone(NY).time() == after.astimezone(NY).time() == dt.time(9)
    assert before.astimezone(dt.UTC).time() == dt.time(14)
    assert after.astimezone(dt.UTC).time() == dt.time(13)
    # The client in London sees the change as their therapist's hour moving.
    assert before.astimezone(LONDON).time() == dt.time(14)
    assert after.astimezone(LONDON).time() == dt.time(13)


def test_both_see_one_booked_instant_in_their_own_zone(
    mornings, partnership, client_user, their_therapist
):
    moment = dt.datetime.combine(AFTER, dt.time(9), tzinfo=NY)
    appointment = services.book_appointment(
        partnership=partnership, starts_at=moment, modality="video", by=client_user, now=NOW
    )
    assert appointment.starts_at == dt.datetime(2027, 3, 15, 13, tzinfo=dt.UTC)
    client_page = logged_in(client_user).get(f"/schedule/appointments/{appointment.pk}/")
    therapist_page = logged_in(their_therapist).get(f"/schedule/appointments/{appointment.pk}/")
    assert "March 15, 2027, 1:00 PM" in client_page.content.decode()
    assert "Europe/London" in client_page.content.decode()
    assert "March 15, 2027, 9:00 AM" in therapist_page.content.decode()
    assert "America/New_York" in therapist_page.content.decode()


def test_a_time_outside_the_local_window_after_the_change_is_refused(
    mornings, partnership, client_user
):
    # 14:00 UTC was 09:00 in New York before the change; after it, it is 10:00 — still
    # inside — but 16:30 UTC is 12:30 EDT, past the window's local end.
    late = dt.datetime.combine(AFTER, dt.time(16, 30), tzinfo=dt.UTC)
    with pytest.raises(services.ScheduleError, match="not available"):
        services.book_appointment(
            partnership=partnership, starts_at=late, modality="video", by=client_user, now=NOW
        )
    # The same UTC time the week before was 11:30 EST, inside the window.
    ok = dt.datetime.combine(BEFORE, dt.time(15, 0), tzinfo=dt.UTC)
    services.book_appointment(
        partnership=partnership, starts_at=ok, modality="video", by=client_user, now=NOW
    )


def test_no_slot_starts_in_the_skipped_hour(their_therapist):
    profile = their_therapist.therapist_profile
    AvailabilityWindow.objects.create(
        therapist=profile, weekday=6, start=dt.time(1), end=dt.time(5)
    )
    start = dt.datetime(2027, 3, 14, 0, tzinfo=NY)
    end = start + dt.timedelta(days=1)
    calendar = availability.load_calendar(their_therapist, start, end)
    local_starts = [
        s.starts_at.astimezone(NY).strftime("%H:%M")
        for s in availability.open_slots(calendar, start, end)
    ]
    assert "02:00" not in local_starts and "02:30" not in local_starts
    assert local_starts[0] == "01:00" and "03:00" in local_starts
    instants = [s.starts_at for s in availability.open_slots(calendar, start, end)]
    assert len(instants) == len(set(instants))
