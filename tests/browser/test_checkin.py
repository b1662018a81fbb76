"""A client completes a check-in in Chromium; their therapist then sees the new point."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import PASSWORD, TOTP_HEX, make_client, make_therapist

pytestmark = pytest.mark.browser

ITEMS = {
    "Today we worked on what matters most to me.": "Agree",
    "My therapist and I agree on what I want to get out of therapy.": "Strongly agree",
    "The way we worked today made sense to me.": "Agree",
    "I had a say in what we did today.": "Somewhat agree",
    "I felt heard and understood by my therapist today.": "Agree",
    "I felt respected and not judged.": "Agree",
}


HOW_LONG = (
    "Today's check-in has 3 short parts, 23 questions, about 2 minutes. The first part "
    "(6 questions) takes under a minute; then 2 short questionnaires your therapist uses to "
    "follow how you are doing."
)


def log_in(page, base: str, email: str, *, therapist: bool = False) -> None:
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if therapist:
        page.wait_for_url(re.compile(r"/account/two-factor/"))
        page.get_by_label("Code from your authenticator app").fill(
            f"{totp(bytes.fromhex(TOTP_HEX)):06d}"
        )
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/home/$"))


def test_client_checks_in_and_therapist_sees_the_point(live_asgi_server, new_page, jurisdiction):
    from alliance.care.services import start_partnership
    from alliance.checkins.services import request_checkin

    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    checkin = request_checkin(partnership=partnership)
    base = live_asgi_server.url

    # given the client on the one-page check-in
    page = new_page()
    log_in(page, base, "robin@example.org")
    page.goto(f"{base}/checkins/requests/{checkin.pk}/")
    assert page.get_by_text("This check-in is our own and not yet validated").is_visible()
    # and told how long all of it takes: the rating, then PHQ-9 and GAD-7 (due at intake)
    assert page.get_by_text(HOW_LONG).is_visible()
    assert page.get_by_text("Part 1 of 3").is_visible()
    assert_accessible(page)
    assert_no_external_requests(page, base)
    # when they answer each question (radio groups) and send
    for question, answer in ITEMS.items():
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("What could have been better today?").fill("We ran out of time.")
    page.get_by_role("button", name="Send").click()
    # then the outcome questions follow (due at the first session)
    page.wait_for_url(re.compile(rf"/checkins/requests/{checkin.pk}/$"))
    assert page.get_by_role("heading", name=re.compile("Patient Health Questionnaire")).is_visible()
    assert page.get_by_text("Part 2 of 3").is_visible()

    # and the therapist sees the new point on the chart
    tpage = new_page()
    log_in(tpage, base, "tess@example.org", therapist=True)
    tpage.goto(f"{base}/checkins/partnerships/{partnership.pk}/progress/")
    chart = tpage.locator("svg.chart").first
    assert chart.locator("title", has_text="Bond: 5 (session 1)").count() == 1
    assert chart.locator("title", has_text="Tasks: 4.5 (session 1)").count() == 1
    tpage.get_by_text("Show as a table").first.click()
    row = tpage.locator("details.chart-table tbody tr").first
    assert row.inner_text().split() == ["1", "5.5", "4.5", "5.0"]
    assert tpage.get_by_text("We ran out of time.").is_visible()
    assert_accessible(tpage)


def test_no_session_rating_before_a_session(live_asgi_server, new_page, jurisdiction):
    import datetime as dt

    from django.utils import timezone

    from alliance.care.services import start_partnership
    from alliance.checkins.models import CheckinRequest
    from tests.conftest import earlier_today, make_appointment

    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    base = live_asgi_server.url
    rate = re.compile("^Rate today's session$")

    # given a new client whose first session is tomorrow: nothing to rate yet
    make_appointment(partnership, timezone.now() + dt.timedelta(days=1))
    page = new_page()
    log_in(page, base, "robin@example.org")
    page.goto(f"{base}/checkins/")
    assert page.get_by_role("button", name=rate).count() == 0
    assert page.get_by_text("You can rate a session once it has started.").is_visible()
    assert_accessible(page)

    # and their therapist cannot ask for one either
    tpage = new_page()
    log_in(tpage, base, "tess@example.org", therapist=True)
    tpage.goto(f"{base}/checkins/partnerships/{partnership.pk}/progress/")
    assert tpage.get_by_role("button", name="Ask for a check-in now").count() == 0
    assert_accessible(tpage)

    # when a session has started
    make_appointment(partnership, earlier_today(20))
    page.reload()
    # then the client may rate it, and is told how long today's check-in takes
    button = page.get_by_role("button", name=rate)
    assert button.is_visible()
    assert page.get_by_text(HOW_LONG).is_visible()
    assert_accessible(page)
    button.click()
    page.wait_for_url(re.compile(r"/checkins/requests/\d+/$"))
    assert page.get_by_role("heading", name="How did today's session go?").is_visible()
    assert page.get_by_text("Part 1 of 3").is_visible()
    assert CheckinRequest.objects.get().session_number == 1
