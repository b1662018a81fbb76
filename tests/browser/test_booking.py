"""A client books a session, the therapist sees it, the client moves it and downloads
the .ics; every page passes axe."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.browser.conftest import assert_accessible
from tests.browser.test_checkin import log_in
from tests.conftest import make_client, make_therapist

pytestmark = pytest.mark.browser


def test_client_books_therapist_sees_client_moves_and_downloads_ics(
    live_asgi_server, new_page, jurisdiction
):
    from alliance.care.services import start_partnership
    from alliance.directory.models import AvailabilityWindow
    from alliance.schedule.models import Appointment

    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=therapist.therapist_profile, weekday=d, start=dt.time(9), end=dt.time(17)
        )
        for d in range(7)
    )
    base = live_asgi_server.url

    # given the client on the booking page
    cpage = new_page(accept_downloads=True)
    log_in(cpage, base, "robin@example.org")
    cpage.goto(f"{base}/schedule/")
    assert_accessible(cpage)
    cpage.get_by_role("link", name="Book a session").click()
    cpage.wait_for_url(re.compile(r"/book/$"))
    assert_accessible(cpage)
    # when they pick the second day's first time and audio, and book
    day = cpage.locator("fieldset.slot-day").nth(1)
    day.locator("label.slot").first.click()
    cpage.get_by_label("How would you like to meet?").select_option("audio")
    cpage.get_by_role("button", name="Book this time").click()
    cpage.wait_for_url(re.compile(r"/schedule/appointments/\d+/$"))
    assert_accessible(cpage)
    appointment = Appointment.objects.get()
    assert appointment.modality == "audio" and appointment.status == "scheduled"

    # then the therapist sees it in their appointments
    tpage = new_page()
    log_in(tpage, base, "tess@example.org", therapist=True)
    tpage.goto(f"{base}/schedule/")
    assert tpage.get_by_role("link").filter(has_text=re.compile(r"\d:\d\d [AP]M")).count() == 1
    assert tpage.get_by_text("Robin").first.is_visible()
    assert_accessible(tpage)

    # when the client moves it to a later day
    cpage.get_by_role("link", name="Move to another time").click()
    cpage.wait_for_url(re.compile(r"/reschedule/$"))
    assert_accessible(cpage)
    cpage.locator("fieldset.slot-day").nth(3).locator("label.slot").first.click()
    cpage.get_by_role("button", name="Move to this time").click()
    cpage.wait_for_url(re.compile(r"/schedule/appointments/\d+/$"))
    moved = Appointment.objects.exclude(status="cancelled").get()
    assert moved.starts_at > appointment.starts_at

    # and downloads the calendar file
    with cpage.expect_download() as info:
        cpage.get_by_role("link", name="Add to calendar (.ics)").click()
    body = Path(info.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in body and "SUMMARY:Alliance session" in body
    assert moved.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in body
    assert "Tess" not in body and "Robin" not in body
    assert_accessible(cpage)
    assert partnership.pk  # the partnership the appointment belongs to
