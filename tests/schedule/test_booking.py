"""Booking, moving and cancelling through the pages, with bad input and access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alliance.schedule import services
from alliance.schedule.models import Appointment
from tests.conftest import logged_in, make_client
from tests.schedule.conftest import ny

pytestmark = pytest.mark.django_db


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def book(user, partnership, moment, modality="video"):
    return logged_in(user).post(
        f"/schedule/partnerships/{partnership.pk}/book/",
        {"starts_at": iso(moment), "modality": modality},
    )


def test_client_books_inside_availability(partnership, client_user, open_week):
    response = book(client_user, partnership, ny(3, 10))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.starts_at == ny(3, 10)
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=50)
    assert (appointment.client, appointment.therapist_id) == (client_user, partnership.therapist_id)
    assert appointment.modality == "video"


def test_booking_page_lists_slots_in_the_viewers_zone(partnership, client_user, open_week):
    client_user.timezone = "Europe/London"
    client_user.save(update_fields=["timezone"])
    page = logged_in(client_user).get(f"/schedule/partnerships/{partnership.pk}/book/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Europe/London" in html and "America/New_York" in html
    # 08:00 in New York is 13:00 in London (12:00 on the few days the shifts differ).
    assert "1:00 PM" in html or "12:00 PM" in html


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (lambda: ny(-1, 10), "in the past"),
        (lambda: ny(3, 6), "not available"),
        (lambda: ny(3, 19, 30), "not available"),
        (lambda: ny(200, 10), "too far ahead"),
    ],
)
def test_bad_times_are_refused_and_nothing_stored(
    partnership, client_user, open_week, moment, message
):
    response = book(client_user, partnership, moment())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_garbage_time_and_modality_are_refused(partnership, client_user, open_week):
    c = logged_in(client_user)
    url = f"/schedule/partnerships/{partnership.pk}/book/"
    assert c.post(url, {"starts_at": "tomorrow", "modality": "video"}).status_code == 400
    assert (
        c.post(url, {"starts_at": iso(ny(3, 10)), "modality": "carrier pigeon"}).status_code == 400
    )
    assert c.post(url, {}).status_code == 400
    assert not Appointment.objects.exists()


def test_overlapping_booking_is_refused(partnership, client_user, open_week):
    assert book(client_user, partnership, ny(3, 10)).status_code == 302
    response = book(client_user, partnership, ny(3, 10, 30))
    assert response.status_code == 400
    assert "already taken" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_another_client_cannot_take_the_therapists_booked_time(
    partnership, client_user, their_therapist, jurisdiction, open_week
):
    from alliance.care.services import start_partnership

    other = make_client("second@example.org", jurisdiction, name="Sam")
    second = start_partnership(client=other, therapist=their_therapist)
    assert book(client_user, partnership, ny(3, 10)).status_code == 302
    assert book(other, second, ny(3, 10)).status_code == 400
    assert book(other, second, ny(3, 11)).status_code == 302


def test_cancelled_slot_can_be_booked_again(partnership, client_user, open_week):
    first = services.book_appointment(
        partnership=partnership, starts_at=ny(5, 10), modality="video", by=client_user
    )
    response = logged_in(client_user).post(f"/schedule/appointments/{first.pk}/cancel/")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "cancelled" and not first.late_cancellation
    assert book(client_user, partnership, ny(5, 10)).status_code == 302
    assert Appointment.objects.filter(status="scheduled").count() == 1


def test_late_cancellation_inside_the_window(partnership, client_user, open_week, settings):
    settings.LATE_CANCELLATION_HOURS = 24
    soon = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=5)
    appointment = Appointment.objects.create(
        partnership=partnership,
        therapist=partnership.therapist,
        client=client_user,
        starts_at=soon,
        ends_at=soon + dt.timedelta(minutes=50),
        modality="video",
    )
    logged_in(client_user).post(f"/schedule/appointments/{appointment.pk}/cancel/")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.late_cancellation


def test_therapist_cancelling_late_is_not_held_against_the_client(
    partnership, their_therapist, client_user
):
    soon = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=2)
    appointment = Appointment.objects.create(
        partnership=partnership,
        therapist=their_therapist,
        client=client_user,
        starts_at=soon,
        ends_at=soon + dt.timedelta(minutes=50),
        modality="audio",
    )
    logged_in(their_therapist).post(f"/schedule/appointments/{appointment.pk}/cancel/")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and not appointment.late_cancellation


def test_reschedule_moves_in_place_outside_the_window(partnership, client_user, open_week):
    appointment = services.book_appointment(
        partnership=partnership, starts_at=ny(5, 10), modality="video", by=client_user
    )
    response = logged_in(client_user).post(
        f"/schedule/appointments/{appointment.pk}/reschedule/", {"starts_at": iso(ny(5, 10, 30))}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == ny(5, 10, 30) and appointment.sequence == 1
    assert Appointment.objects.count() == 1


def test_reschedule_to_a_taken_or_unavailable_time_is_refused(partnership, client_user, open_week):
    appointment = services.book_appointment(
        partnership=partnership, starts_at=ny(5, 10), modality="video", by=client_user
    )
    services.book_appointment(
        partnership=partnership, starts_at=ny(5, 14), modality="video", by=client_user
    )
    c = logged_in(client_user)
    url = f"/schedule/appointments/{appointment.pk}/reschedule/"
    assert c.post(url, {"starts_at": iso(ny(5, 14, 30))}).status_code == 400
    assert c.post(url, {"starts_at": iso(ny(5, 22))}).status_code == 400
    assert c.post(url, {"starts_at": "nonsense"}).status_code == 400
    appointment.refresh_from_db()
    assert appointment.starts_at == ny(5, 10)


def test_someone_elses_appointment_is_not_found(
    partnership, client_user, open_week, other_therapist, jurisdiction
):
    appointment = services.book_appointment(
        partnership=partnership, starts_at=ny(4, 9), modality="chat", by=client_user
    )
    stranger = make_client("stranger@example.org", jurisdiction, name="Stranger")
    for user in (stranger, other_therapist):
        c = logged_in(user)
        assert c.get(f"/schedule/appointments/{appointment.pk}/").status_code == 404
        assert c.post(f"/schedule/appointments/{appointment.pk}/cancel/").status_code in {403, 404}
        assert c.get(f"/schedule/appointments/{appointment.pk}/calendar.ics").status_code == 404
    assert (
        logged_in(stranger)
        .post(
            f"/schedule/partnerships/{partnership.pk}/book/",
            {"starts_at": iso(ny(4, 11)), "modality": "video"},
        )
        .status_code
        == 404
    )
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"
    assert Appointment.objects.count() == 1


def test_access_to_pages(client, partnership, client_user, their_therapist, admin_user, open_week):
    appointment = services.book_appointment(
        partnership=partnership, starts_at=ny(4, 9), modality="chat", by=client_user
    )
    pages = [
        "/schedule/",
        f"/schedule/partnerships/{partnership.pk}/book/",
        f"/schedule/partnerships/{partnership.pk}/history/",
        f"/schedule/partnerships/{partnership.pk}/ending/",
        f"/schedule/appointments/{appointment.pk}/",
        f"/schedule/appointments/{appointment.pk}/reschedule/",
        f"/schedule/appointments/{appointment.pk}/calendar.ics",
        "/schedule/calendar/",
    ]
    for url in pages:
        assert logged_in(client_user).get(url).status_code == 200, url
        assert logged_in(their_therapist).get(url).status_code == 200, url
        assert logged_in(admin_user).get(url).status_code == 403, url
        response = client.get(url)
        assert response.status_code == 302 and "/account/log-in/" in response["Location"], url
    assert logged_in(their_therapist).get("/schedule/availability/").status_code == 200
    assert logged_in(client_user).get("/schedule/availability/").status_code == 403


def test_ics_download_has_no_clinical_content(partnership, client_user, open_week):
    appointment = services.book_appointment(
        partnership=partnership, starts_at=ny(4, 9), modality="video", by=client_user
    )
    services.save_progress_note(
        appointment=appointment,
        author=partnership.therapist,
        template="free",
        text="Discussed panic attacks",
    )
    response = logged_in(client_user).get(f"/schedule/appointments/{appointment.pk}/calendar.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:Alliance session" in body
    assert "panic" not in body and "Tess" not in body and "Casey" not in body
    assert "DTSTART:" in body and "Z" in body.split("DTSTART:")[1][:17]
