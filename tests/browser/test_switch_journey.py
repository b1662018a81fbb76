"""A client with a booked session and an open safety alert switches because the approach was
not right: the session leaves Upcoming and both people are sent the cancellation, the crisis
resources show again, the re-match requires the approach they asked for and says so, the old
call page refuses without a join button, and the new therapist sees the open safety alert
notice. axe on every page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from alliance.care.intake import SCREEN_QUESTIONS
from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as
from tests.conftest import PASSWORD, make_appointment, make_client, make_therapist

pytestmark = pytest.mark.browser


def therapist(email, jurisdiction, name, approaches):
    user = make_therapist(email, jurisdiction, name=name)
    user.therapist_profile.approaches = approaches
    user.therapist_profile.save(update_fields=["approaches"])
    return user


def test_switch_for_the_approach_with_a_session_booked_and_a_safety_alert_open(
    live_asgi_server, page, new_page, jurisdiction
):
    from django_tasks_db.models import DBTaskResult

    from alliance.care.models import Partnership
    from alliance.care.services import bump_index_version
    from alliance.checkins import safety
    from alliance.schedule import tasks
    from alliance.schedule.models import Appointment

    first = therapist("ana@example.org", jurisdiction, "Dr Ana", ["psychodynamic"])
    client = make_client("robin@example.org", jurisdiction, name="Robin")
    base = live_asgi_server.url
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("E-mail address").fill("robin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home/$"))
    # an intake asking for CBT; the only therapist with room works otherwise
    page.goto(f"{base}/care/intake/")
    for _key, question in SCREEN_QUESTIONS:
        page.get_by_role("group", name=str(question)).get_by_label("No").check()
    page.get_by_label("Anxiety or worry").check()
    page.get_by_label("English").check()
    page.get_by_label("Video").check()
    page.get_by_label("Practical exercises for thoughts and habits (CBT)").check()
    page.get_by_role("button", name="Show my matches").click()
    page.wait_for_url(re.compile(r"/care/matches/$"))
    page.get_by_role("button", name="Choose Dr Ana").click()
    page.wait_for_url(re.compile(r"/home/$"))
    old = Partnership.objects.get(client=client, therapist=first)

    # a session booked next week, an open safety alert, and two more therapists
    session = make_appointment(old, timezone.now() + dt.timedelta(days=7))
    safety.raise_safety_alert(
        client=client, partnership=old, source="message", evidence={"message_id": 1}
    )
    cbt = therapist("bo@example.org", jurisdiction, "Dr Bo", ["cbt"])
    therapist("cy@example.org", jurisdiction, "Dr Cy", ["psychodynamic"])
    bump_index_version()
    page.goto(f"{base}/schedule/")
    assert page.locator(f"a[href='/schedule/appointments/{session.pk}/']").count() >= 1

    # the switch: crisis resources shown again, never blocked
    page.goto(f"{base}/care/switch/")
    assert page.get_by_role("heading", name="You don't have to face this alone").is_visible()
    assert_accessible(page)
    page.get_by_label("The approach is not right for me").check()
    page.get_by_role("button", name="Switch now").click()
    page.wait_for_url(re.compile(r"/care/matches/$"))
    assert_accessible(page)
    assert page.get_by_text("every suggestion here meets what you asked for").is_visible()
    names = page.locator("li.match h2").all_inner_texts()
    assert names == ["Dr Bo"]  # not Dr Ana (switched from), not Dr Cy (not CBT)

    # the old session is off Upcoming, and both people are sent the cancellation
    page.goto(f"{base}/schedule/")
    assert page.locator(f"a[href='/schedule/appointments/{session.pk}/']").count() == 0
    session.refresh_from_db()
    assert session.status == Appointment.Status.CANCELLED
    queued = DBTaskResult.objects.filter(task_path__endswith="send_appointment_email")
    for row in queued:
        tasks.send_appointment_email.call(*row.args_kwargs["args"])
    cancels = [m for m in mail.outbox if m.attachments]
    assert sorted(m.to[0] for m in cancels) == ["ana@example.org", "robin@example.org"]
    assert all("method=CANCEL" in m.attachments[0][2] for m in cancels)

    # the old call page refuses, with no join button
    page.goto(f"{base}/conversations/{old.pk}/call/")
    assert page.get_by_text("This partnership has ended").is_visible()
    assert page.get_by_role("button", name="Join the call").count() == 0
    assert_accessible(page)

    # choosing the new therapist; they are told an open safety alert exists
    page.goto(f"{base}/care/matches/")
    page.get_by_role("button", name="Choose Dr Bo").click()
    page.wait_for_url(re.compile(r"/home/$"))
    new = Partnership.objects.get(client=client, therapist=cbt, status="active")
    theirs = open_as(new_page, base, cbt)
    theirs.goto(f"{base}/care/partnerships/{new.pk}/")
    assert theirs.get_by_role("heading", name="Open safety alert from before").is_visible()
    assert_accessible(theirs)
    # on a phone, no page of the journey scrolls sideways
    for screen, path in (
        (theirs, f"/care/partnerships/{new.pk}/"),
        (page, "/care/switch/"),
        (page, f"/conversations/{old.pk}/call/"),
    ):
        screen.set_viewport_size({"width": 390, "height": 844})
        screen.goto(f"{base}{path}")
        assert screen.evaluate("document.documentElement.scrollWidth") <= 390, path
