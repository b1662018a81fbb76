"""Request tests: the inbox, a conversation with HTTP posting (the fallback when the socket
is down), the audit of openings, the call and setup pages, bad input and access."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.conversations import services
from alliance.conversations.models import Message
from alliance.directory.models import Licence
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in, make_client
from tests.conversations.conftest import new_id

pytestmark = pytest.mark.django_db


def url(partnership, name="thread"):
    from django.urls import reverse

    return reverse(f"conversations:{name}", args=[partnership.pk])


def post(browser, partnership, body, client_id=None, **extra):
    return browser.post(
        url(partnership), {"body": body, "client_id": client_id or new_id()}, **extra
    )


def test_client_posts_over_http_and_sees_it(partnership, client_user):
    browser = logged_in(client_user)
    response = post(browser, partnership, "Hello over plain HTTP")
    assert response.status_code == 302
    page = browser.get(url(partnership))
    assert "Hello over plain HTTP" in page.content.decode()
    stored = Message.objects.get()
    assert stored.sender == client_user and stored.body == "Hello over plain HTTP"


def test_stored_text_is_encrypted(partnership, client_user):
    post(logged_in(client_user), partnership, "private words")
    with connection.cursor() as cursor:
        cursor.execute("select body from conversations_message")
        (raw,) = cursor.fetchone()
    assert "private words" not in raw and raw.startswith("ck1:")


def test_htmx_post_returns_the_conversation_fragment(partnership, their_therapist):
    response = post(
        logged_in(their_therapist), partnership, "Fragment please", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="conversation"' in html and "<html" not in html and "Fragment please" in html


def test_same_form_posted_twice_stores_once(partnership, client_user):
    browser = logged_in(client_user)
    cid = new_id()
    post(browser, partnership, "double click", client_id=cid)
    post(browser, partnership, "double click", client_id=cid)
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "client_id", "expected"),
    [
        ("", None, "This field is required"),
        ("x" * 10_001, None, "at most 10000 characters"),
        ("hello", "bad id!", "Each message needs an id"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    partnership, client_user, body, client_id, expected
):
    response = post(logged_in(client_user), partnership, body, client_id=client_id)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert Message.objects.count() == 0


def test_crisis_language_shows_resources_at_once_and_alerts(partnership, client_user, monkeypatch):
    from alliance.checkins import safety

    alerts = []
    monkeypatch.setattr(
        safety, "crisis_phrases", lambda text: ("want to die",) if "die" in text else ()
    )
    monkeypatch.setattr(safety, "raise_safety_alert", lambda **kwargs: alerts.append(kwargs))
    response = post(logged_in(client_user), partnership, "Some days I want to die")
    html = response.content.decode()
    assert response.status_code == 200
    assert "988 Suicide &amp; Crisis Lifeline" in html
    assert "We have let your therapist" in html
    message = Message.objects.get()
    assert alerts == [
        {
            "client": client_user,
            "partnership": partnership,
            "source": "message",
            "evidence": {"message_id": message.pk, "phrases": ["want to die"]},
        }
    ]


def test_crisis_check_uses_the_checkins_safety_detector(
    partnership, client_user, on_call_therapist
):
    from alliance.checkins.models import Alert

    response = post(logged_in(client_user), partnership, "I want to kill myself")
    assert "crisis-panel-title" in response.content.decode()
    alert = Alert.objects.get(client=client_user, kind="safety")
    message = Message.objects.get()
    assert alert.evidence[0]["message_id"] == message.pk
    assert "kill myself" not in str(alert.evidence) or alert.evidence[0]["phrases"]


def test_retrying_a_crisis_message_does_not_alert_twice(
    partnership, client_user, on_call_therapist
):
    from alliance.checkins.models import Alert

    browser = logged_in(client_user)
    cid = new_id()
    post(browser, partnership, "I want to kill myself", client_id=cid)
    again = post(browser, partnership, "I want to kill myself", client_id=cid)
    assert "crisis-panel-title" in again.content.decode()
    assert len(Alert.objects.get(client=client_user, kind="safety").evidence) == 1


def test_a_therapist_message_is_not_checked_for_crisis_language(partnership, their_therapist):
    from alliance.checkins.models import Alert

    response = post(
        logged_in(their_therapist), partnership, "Have you had thoughts you want to kill yourself?"
    )
    assert response.status_code == 302
    assert not Alert.objects.exists()


def test_therapist_opening_is_audited_once_per_opening_not_per_message(
    partnership, their_therapist, client_user
):
    for i in range(5):
        services.post_message(
            partnership=partnership, sender=client_user, client_id=new_id(), body=f"m{i}"
        )
    browser = logged_in(their_therapist)
    browser.get(url(partnership))
    post(browser, partnership, "reply", HTTP_HX_REQUEST="true")
    browser.get(url(partnership), HTTP_HX_REQUEST="true")
    events = AuditEvent.objects.filter(action="open_record", object_id=str(partnership.pk))
    assert events.count() == 1
    assert events.get().client_id == client_user.pk


def test_client_reading_is_not_audited(partnership, client_user):
    logged_in(client_user).get(url(partnership))
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["other", "admin"])
def test_strangers_get_nothing(partnership, other_therapist, admin_user, who):
    user = {"other": other_therapist, "admin": admin_user}[who]
    browser = logged_in(user)
    for name in ("thread", "call", "call_setup"):
        response = browser.get(url(partnership, name))
        assert response.status_code in {403, 404}, name
    response = post(browser, partnership, "sneaky")
    assert response.status_code in {403, 404}
    assert Message.objects.count() == 0


def test_anonymous_is_sent_to_log_in(partnership):
    for name in ("thread", "call", "call_setup"):
        response = Client().get(url(partnership, name))
        assert response.status_code == 302 and "log-in" in response["Location"]


def test_unknown_partnership_is_404(partnership, client_user):
    from django.urls import reverse

    assert (
        logged_in(client_user)
        .get(reverse("conversations:thread", args=[partnership.pk + 99]))
        .status_code
        == 404
    )


def test_ended_partnership_can_be_read_not_written(partnership, client_user):
    from alliance.care.services import end_partnership

    services.post_message(
        partnership=partnership, sender=client_user, client_id=new_id(), body="before"
    )
    end_partnership(partnership=partnership, reason="completed")
    browser = logged_in(client_user)
    assert "before" in browser.get(url(partnership)).content.decode()
    response = post(browser, partnership, "after")
    assert response.status_code == 400 and "has ended" in response.content.decode()
    assert Message.objects.count() == 1


def test_inbox_shows_unread_counts_without_a_query_per_conversation(
    jurisdiction, their_therapist, partnership, client_user
):
    from alliance.care.services import start_partnership

    services.post_message(
        partnership=partnership, sender=client_user, client_id=new_id(), body="hi"
    )
    browser = logged_in(their_therapist)
    browser.get("/conversations/")  # warm caches
    with CaptureQueriesContext(connection) as one:
        page = browser.get("/conversations/")
    assert "1 unread" in page.content.decode()
    for i in range(4):
        other = make_client(f"c{i}@example.org", jurisdiction, name=f"C{i}")
        p = start_partnership(client=other, therapist=their_therapist)
        services.post_message(partnership=p, sender=other, client_id=new_id(), body="hey")
    with CaptureQueriesContext(connection) as five:
        browser.get("/conversations/")
    assert len(five) == len(one)


def test_read_mark_clears_unread(partnership, client_user, their_therapist):
    posted = services.post_message(
        partnership=partnership, sender=client_user, client_id=new_id(), body="hi"
    )
    services.mark_read(partnership=partnership, user=their_therapist, seq=posted.message.pk)
    page = logged_in(their_therapist).get("/conversations/").content.decode()
    assert "unread" not in page


def test_client_sees_the_usual_response_time(partnership, client_user, their_therapist):
    start = timezone.now() - dt.timedelta(days=3)
    rows = []
    for i, minutes in enumerate([30, 90, 120, 60, 45]):
        asked = start + dt.timedelta(hours=5 * i)
        rows.append(
            Message(
                partnership=partnership,
                sender=client_user,
                client_id=f"q{i:08d}",
                body="q",
                created_at=asked,
            )
        )
        rows.append(
            Message(
                partnership=partnership,
                sender=their_therapist,
                client_id=f"a{i:08d}",
                body="a",
                created_at=asked + dt.timedelta(minutes=minutes),
            )
        )
    Message.objects.bulk_create(rows)
    html = logged_in(client_user).get(url(partnership)).content.decode()
    assert (
        "usually replies within about 1 hours" in html
        or "usually replies within about an hour" in html
    )


def test_call_setup_page_reminds_about_privacy(partnership, client_user):
    html = logged_in(client_user).get(url(partnership, "call_setup")).content.decode()
    assert "headphones" in html and 'id="check-camera"' in html and 'id="check-connection"' in html


def test_client_confirms_location_before_joining(partnership, client_user):
    browser = logged_in(client_user)
    page = browser.get(url(partnership, "call")).content.decode()
    assert "Where are you right now?" in page
    joined = browser.post(url(partnership, "call"), {"mode": "audio", "location": "US-NY"})
    html = joined.content.decode()
    assert (
        joined.status_code == 200
        and 'data-location="US-NY"' in html
        and 'data-mode="audio"' in html
    )


def test_call_does_not_start_where_therapist_is_unlicensed(partnership, client_user):
    from alliance.directory.models import Jurisdiction

    Jurisdiction.objects.create(
        code="US-TX", name="Texas", country="US", default_timezone="America/Chicago"
    )
    response = logged_in(client_user).post(
        url(partnership, "call"), {"mode": "video", "location": "US-TX"}
    )
    html = response.content.decode()
    assert "not licensed in Texas" in html and 'id="call"' not in html


def test_expired_licence_does_not_count(partnership, client_user, their_therapist):
    # Expired on the client's own calendar (New York), which can be a day behind UTC's.
    new_york = timezone.localdate(timezone=ZoneInfo("America/New_York"))
    Licence.objects.filter(therapist=their_therapist).update(
        expires_on=new_york - dt.timedelta(days=1)
    )
    html = (
        logged_in(client_user)
        .post(url(partnership, "call"), {"mode": "video", "location": "US-NY"})
        .content.decode()
    )
    assert "not licensed in New York" in html


def test_bad_call_form_is_refused(partnership, client_user):
    response = logged_in(client_user).post(
        url(partnership, "call"), {"mode": "hologram", "location": "ZZ"}
    )
    assert response.status_code == 400 and 'id="call"' not in response.content.decode()


def test_therapist_joins_without_location(partnership, their_therapist):
    html = (
        logged_in(their_therapist)
        .post(url(partnership, "call"), {"mode": "video"})
        .content.decode()
    )
    assert 'id="call"' in html


def test_chat_messages_are_listed_in_the_conversation_not_as_notices(partnership, client_user):
    # base.html lists the messages framework's notices; the chat must not pose as them.
    browser = logged_in(client_user)
    post(browser, partnership, "Hello there")
    html = browser.get(url(partnership)).content.decode()
    stored = Message.objects.get()
    assert 'class="messages"' not in html and str(stored) not in html
    assert f'data-seq="{stored.pk}"' in html and "Hello there" in html
