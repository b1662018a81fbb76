"""The home pages say what comes next: for a client the one thing to do now (a check-in
first, then new messages, then goals and tasks awaiting agreement, else the next session
with join and move), for a therapist today's sessions, clients waiting in a call, and each
client's unread messages on the caseload."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from alliance.checkins import services as checkins
from alliance.conversations import services as conversations
from alliance.conversations.models import CallParticipant, CallSession
from alliance.goals import services as goals
from alliance.home import next_steps
from tests.conftest import logged_in, make_appointment

pytestmark = pytest.mark.django_db


def kinds(user, partnership):
    return [s.kind for s in next_steps.for_client(user, partnership)]


def send(partnership, sender, body="hello"):
    conversations.post_message(
        partnership=partnership, sender=sender, client_id=str(uuid.uuid4()), body=body
    )


def test_without_a_therapist_there_is_nothing_next(client_user):
    assert next_steps.for_client(client_user, None) == []


def test_the_one_thing_now_comes_first(partnership, client_user, their_therapist):
    assert kinds(client_user, partnership) == ["session"]  # nothing booked: book one
    make_appointment(partnership, timezone.now() + dt.timedelta(days=2))
    goals.propose_goal(partnership=partnership, by=their_therapist, title="Sleep earlier")
    send(partnership, their_therapist)
    send(partnership, their_therapist)
    checkins.request_checkin(partnership=partnership)
    steps = next_steps.for_client(client_user, partnership)
    assert [s.kind for s in steps] == ["checkin", "message", "goal", "session"]
    assert "2 new messages from" in steps[1].text
    session = steps[-1]
    assert session.when is not None and [w for w, _ in session.secondary] == [
        "Join the call",
        "Move it",
    ]


def test_the_clients_home_leads_with_it(partnership, client_user, their_therapist):
    send(partnership, their_therapist, "see you Tuesday")
    page = logged_in(client_user).get("/home/").content.decode()
    head = page.split('id="next-title"')[1].split("</section>")[0]
    assert "1 new message from" in head and f"/conversations/{partnership.pk}/" in head
    assert "see you Tuesday" not in page  # what it says stays in the conversation


def test_a_read_message_is_not_next(partnership, client_user, their_therapist):
    from alliance.conversations.models import Message
    from alliance.conversations.receipts import mark_read

    send(partnership, their_therapist)
    assert "message" in kinds(client_user, partnership)
    last = Message.objects.filter(partnership=partnership).order_by("-pk").first()
    mark_read(partnership=partnership, user=client_user, seq=last.pk, announce=False)
    assert "message" not in kinds(client_user, partnership)


def test_the_therapists_day(partnership, client_user, their_therapist):
    # starting now: "today" in the therapist's zone whatever the hour (the page reads
    # today in their zone, the test process in UTC)
    today = timezone.now()
    make_appointment(partnership, today)
    send(partnership, client_user, "can we talk")
    call = CallSession.objects.create(partnership=partnership, started_at=timezone.now())
    CallParticipant.objects.create(call=call, user=client_user, joined_at=timezone.now())
    day = next_steps.for_therapist(their_therapist)
    assert [a.partnership_id for a in day.today] == [partnership.pk]
    assert [p.pk for p in day.waiting] == [partnership.pk]
    assert day.unread == {partnership.pk: 1}
    page = logged_in(their_therapist).get("/home/").content.decode()
    assert "Waiting for you in a call" in page and "1 unread message" in page
    # once the therapist is in the call, nobody is waiting
    CallParticipant.objects.create(call=call, user=their_therapist, joined_at=timezone.now())
    assert next_steps.for_therapist(their_therapist).waiting == []
