"""A client and their therapist chat live, then meet by video and by audio in two real
Chromium contexts (fake camera and microphone); both joins land in the attendance record."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import logged_in

pytestmark = pytest.mark.browser

INBOUND = """async (kind) => {
  const pc = window.alliancePeer;
  if (!pc) return 0;
  const stats = await pc.getStats();
  let n = 0;
  stats.forEach((s) => {
    if (s.type !== "inbound-rtp" || s.kind !== kind) return;
    n += kind === "video" ? s.framesDecoded || 0 : s.packetsReceived || 0;
  });
  return n;
}"""


def open_as(new_page, base: str, user):
    session = logged_in(user).cookies["sessionid"].value
    page = new_page()
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    return page


def wait_for_inbound(page, kind: str, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = page.evaluate(INBOUND, kind)
        if found > 0:
            return int(found)
        page.wait_for_timeout(200)
    return 0


def join(page, base: str, partnership, mode: str) -> None:
    page.goto(f"{base}/conversations/{partnership.pk}/call/?mode={mode}")
    page.get_by_role("button", name="Join the call").click()
    page.wait_for_selector("#call")


def test_chat_then_video_then_audio_call(
    live_asgi_server, new_page, partnership, client_user, their_therapist
):
    from alliance.conversations.models import CallParticipant, CallSession, Message
    from alliance.schedule.models import Appointment

    base = live_asgi_server.url
    now = timezone.now()
    appointment = Appointment.objects.create(
        partnership=partnership,
        therapist=their_therapist,
        client=client_user,
        starts_at=now - dt.timedelta(minutes=2),
        ends_at=now + dt.timedelta(minutes=48),
        modality="video",
    )
    client = open_as(new_page, base, client_user)
    therapist = open_as(new_page, base, their_therapist)

    # live chat, both ways
    for page in (client, therapist):
        page.goto(f"{base}/conversations/{partnership.pk}/")
        page.wait_for_selector("#chat-status:has-text('Connected')")
    assert_accessible(client)
    assert_no_external_requests(client, base)
    client.get_by_label("Your message").fill("Hello, is now a good time?")
    client.get_by_role("button", name="Send").click()
    therapist.wait_for_selector(".chat-msg.theirs:has-text('Hello, is now a good time?')")
    therapist.get_by_label("Your message").fill("Yes, let's talk by video.")
    therapist.get_by_role("button", name="Send").click()
    client.wait_for_selector('.chat-msg.theirs:has-text("Yes, let\'s talk by video.")')
    therapist.wait_for_selector(".chat-msg.mine .seen")  # read receipt
    assert Message.objects.count() == 2
    assert_accessible(therapist)

    # the pre-call setup check
    client.goto(f"{base}/conversations/{partnership.pk}/call/setup/")
    client.get_by_role("button", name="Check camera, microphone and connection").click()
    client.wait_for_selector("#check-camera.ok")
    client.wait_for_selector("#check-connection.ok")
    assert_accessible(client)

    # a video call: each side decodes the other's frames
    join(therapist, base, partnership, "video")
    client.goto(f"{base}/conversations/{partnership.pk}/call/?mode=video")
    assert_accessible(client)
    client.get_by_label("Where are you right now?").select_option("US-NY")
    client.get_by_role("button", name="Join the call").click()
    client.wait_for_selector("#call")
    assert wait_for_inbound(client, "video") > 0
    assert wait_for_inbound(therapist, "video") > 0
    assert_accessible(client)
    for page in (client, therapist):
        page.get_by_role("button", name="End call").click()
        page.wait_for_url(re.compile(rf"/conversations/{partnership.pk}/$"))

    # an audio-only call
    join(therapist, base, partnership, "audio")
    client.goto(f"{base}/conversations/{partnership.pk}/call/?mode=audio")
    client.get_by_role("button", name="Join the call").click()
    client.wait_for_selector("#call")
    assert wait_for_inbound(client, "audio") > 0
    assert wait_for_inbound(therapist, "audio") > 0
    assert client.evaluate(INBOUND, "video") == 0
    for page in (client, therapist):
        page.get_by_role("button", name="End call").click()
        page.wait_for_url(re.compile(rf"/conversations/{partnership.pk}/$"))

    # attendance: both joins of both calls, and on the appointment
    calls = list(CallSession.objects.order_by("id"))
    assert [c.mode for c in calls] == ["video", "audio"]
    for call in calls:
        assert set(CallParticipant.objects.filter(call=call).values_list("user_id", flat=True)) == {
            client_user.pk,
            their_therapist.pk,
        }
    appointment.refresh_from_db()
    assert appointment.client_joined_at is not None and appointment.therapist_joined_at is not None
