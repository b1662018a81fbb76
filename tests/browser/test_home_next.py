"""From the home page to what comes next: a client's home leads with the one thing to do
now and its link does it; a therapist's home shows today's sessions, a client waiting in a
call and the client's unread messages, and refreshes by itself."""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_clients_home_leads_to_the_check_in_then_the_message(
    live_asgi_server, new_page, partnership, client_user, their_therapist, width
):
    from alliance.checkins import services as checkins
    from alliance.conversations import services as conversations

    base = live_asgi_server.url
    checkins.request_checkin(partnership=partnership)
    conversations.post_message(
        partnership=partnership, sender=their_therapist, client_id=str(uuid.uuid4()), body="hi"
    )
    page = open_as(new_page, base, client_user)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{base}/home/")
    nxt = page.get_by_role("region", name="What's next")
    assert nxt.get_by_text("Tell your therapist how the last session went").is_visible()
    assert nxt.get_by_text(re.compile("1 new message from")).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    nxt.get_by_role("link", name="Give your check-in").click()
    page.wait_for_url(re.compile(r"/checkins/"))
    page.goto(f"{base}/home/")
    page.get_by_role("region", name="What's next").get_by_role("link", name="Read messages").click()
    page.wait_for_url(re.compile(rf"/conversations/{partnership.pk}/$"))


def test_the_therapist_sees_a_waiting_client_without_reloading(
    live_asgi_server, new_page, partnership, client_user, their_therapist
):
    from alliance.conversations.models import CallParticipant, CallSession
    from tests.conftest import make_appointment

    base = live_asgi_server.url
    # starting now: "today" in the therapist's zone whatever the hour (the page reads
    # today in their zone, the test process in UTC)
    soon = timezone.now()
    make_appointment(partnership, soon)
    page = open_as(new_page, base, their_therapist)
    page.goto(f"{base}/home/")
    assert page.get_by_role("region", name="Today").get_by_text("Casey").is_visible()
    assert page.get_by_text("Waiting for you in a call").count() == 0
    assert_accessible(page)
    call = CallSession.objects.create(partnership=partnership, started_at=timezone.now())
    CallParticipant.objects.create(call=call, user=client_user, joined_at=timezone.now())
    # the caseload refreshes itself (every 30 s); trigger it now instead of waiting
    page.evaluate("htmx.ajax('GET', '/home/', {target: '#caseload', swap: 'outerHTML'})")
    waiting = page.get_by_role("region", name="Waiting for you in a call")
    waiting.wait_for(timeout=10_000)
    waiting.get_by_role("link", name="Join the call").click()
    page.wait_for_url(re.compile(rf"/conversations/{partnership.pk}/call/setup/"))
