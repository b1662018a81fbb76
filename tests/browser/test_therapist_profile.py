"""From a match to the therapist's profile and back to choosing: the statement and the next
free times are there, the page fits a phone, axe finds nothing at 1280 and 390 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from alliance.directory.models import AvailabilityWindow, TherapistProfile
from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.browser.test_call import open_as
from tests.browser.test_mobile import PHONE, TOO_SMALL
from tests.care.conftest import submit_intake
from tests.conftest import make_client, make_therapist

pytestmark = pytest.mark.browser

STATEMENT = "I listen first, then we plan small, practical steps together."
# The profile's own links and buttons as well as the mobile test's: all 44 px or more.
TARGETS = TOO_SMALL.replace("main form button,", "main form button, main article a,")


def assert_no_axe_violations(page) -> None:
    """Not one axe-core violation in the page's own content, whatever its impact, and no
    serious or critical one anywhere (the house rule; the quick-exit bar's hidden hint is a
    moderate "region" finding on every client page, outside the page's content)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, context="main").response["violations"]
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations]
    assert found == [], page.url
    assert_accessible(page)


def test_client_opens_a_profile_from_the_matches_and_chooses(
    live_asgi_server, new_page, jurisdiction
):
    # given a therapist with a statement and a free hour each day, and a client with an intake
    ana = make_therapist("ana@example.org", jurisdiction, name="Dr Ana Lopez")
    TherapistProfile.objects.filter(user=ana).update(statement=STATEMENT, approaches=["cbt"])
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=ana.therapist_profile, weekday=d, start=dt.time(9), end=dt.time(12)
        )
        for d in range(7)
    )
    robin = make_client("robin@example.org", jurisdiction, name="Robin")
    submit_intake(robin)
    base = live_asgi_server.url
    page = open_as(lambda: new_page(viewport={"width": 1280, "height": 900}), base, robin)
    # when they open their matches and the profile of one
    page.goto(f"{base}/care/matches/")
    page.get_by_role("link", name="See profile of Dr Ana Lopez").click()
    page.wait_for_url(re.compile(rf"/therapists/{ana.pk}/$"))
    # then they read the statement and the next free times, in their own zone
    assert page.get_by_role("heading", name="Dr Ana Lopez", level=1).is_visible()
    assert page.get_by_text(STATEMENT).is_visible()
    times = page.locator(".free-times time")
    assert times.count() == 5
    assert "America/New_York" in page.get_by_text("Times are shown in your time zone").inner_text()
    assert_no_axe_violations(page)
    assert_no_external_requests(page, base)
    # and on a phone the page fits: no sideways scroll, every target 44 px
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(TARGETS) == []
    assert_no_axe_violations(page)
    # when they choose the therapist from the profile
    page.get_by_role("button", name="Choose this therapist").click()
    # then it is the matches page's choice: they now work with them
    page.wait_for_url(re.compile(r"/home/$"))
    assert page.get_by_text("You are now working with Dr Ana Lopez.").is_visible()
