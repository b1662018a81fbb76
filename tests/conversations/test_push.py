"""Web Push: the payload is encrypted for the subscription's own keys (RFC 8291, aes128gcm),
so only that browser reads it, and what it reads is discreet unless the person opted in."""

from __future__ import annotations

import json

import http_ece
import pytest

from alliance.checkins import requests as checkin_requests
from alliance.conversations import services
from alliance.conversations.tasks import notify_new_message
from alliance.notify import choices
from alliance.notify.models import Preferences, PushSubscription
from tests.conversations.conftest import new_id
from tests.notify.fakes import new_browser, push_service, run_deliveries

pytestmark = pytest.mark.django_db
CLINICAL = "Your therapy homework: write down the panic you felt on Tuesday"


def subscribe(user, fake, path="/push/device-1"):
    browser = new_browser()
    choices.subscribe(
        user=user, endpoint=f"{fake.url}{path}", p256dh=browser.p256dh, auth=browser.auth
    )
    return browser


def opened(browser, seen) -> dict:
    assert seen.headers["content-encoding"] == "aes128gcm"
    assert seen.headers["authorization"].startswith("vapid t=")  # RFC 8292
    plain = http_ece.decrypt(
        seen.body,
        version="aes128gcm",
        private_key=browser.private_key,
        auth_secret=browser.auth_secret,
    )
    return json.loads(plain)


def awake(user, *, detail=False):
    """No quiet hours, so the push goes now whatever the hour of the test run."""
    prefs, _ = Preferences.objects.get_or_create(user=user)
    prefs.quiet_start = prefs.quiet_end = None
    prefs.show_detail = detail
    prefs.save()


def message_from_therapist(partnership, therapist):
    message = services.post_message(
        partnership=partnership, sender=therapist, client_id=new_id(), body=CLINICAL
    ).message
    assert notify_new_message.call(message.pk) == "sent"


def test_a_push_decrypts_with_the_subscription_keys_and_says_nothing_clinical(
    partnership, client_user, their_therapist, django_capture_on_commit_callbacks
):
    awake(client_user)
    with push_service() as fake:
        browser = subscribe(client_user, fake)
        with django_capture_on_commit_callbacks(execute=True):
            message_from_therapist(partnership, their_therapist)
        assert run_deliveries() == ["sent"]
        (seen,) = fake.requests
    assert seen.path == "/push/device-1"
    assert CLINICAL.encode() not in seen.body  # encrypted on the wire
    payload = opened(browser, seen)
    assert payload["title"] == "Alliance"
    assert payload["body"] == "You have a new update."
    assert payload["url"].endswith(f"/conversations/{partnership.pk}/")
    assert payload["settings_url"].endswith("/notify/settings/")
    text = json.dumps(payload).lower()
    assert "therap" not in text and "homework" not in text and "tess" not in text


def test_with_detail_opted_in_the_push_names_the_sender_never_the_words(
    partnership, client_user, their_therapist, django_capture_on_commit_callbacks
):
    awake(client_user, detail=True)
    with push_service() as fake:
        browser = subscribe(client_user, fake)
        with django_capture_on_commit_callbacks(execute=True):
            message_from_therapist(partnership, their_therapist)
        run_deliveries()
        payload = opened(browser, fake.requests[0])
    assert payload["body"] == "New message from Dr Tess"
    assert "homework" not in json.dumps(payload).lower()


def test_a_check_in_push_carries_none_of_the_check_in(
    partnership, client_user, django_capture_on_commit_callbacks
):
    awake(client_user)
    with push_service() as fake:
        browser = subscribe(client_user, fake)
        with django_capture_on_commit_callbacks(execute=True):
            request = checkin_requests.request_checkin(partnership=partnership)
        run_deliveries()
        payload = opened(browser, fake.requests[0])
    assert payload["body"] == "You have a new update."
    assert payload["url"].endswith(f"/checkins/requests/{request.pk}/")
    text = json.dumps(payload).lower()
    assert "therap" not in text and "session" not in text and "minute" not in text


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_deleted(
    status, partnership, client_user, their_therapist, django_capture_on_commit_callbacks
):
    awake(client_user)
    with push_service() as fake:
        subscribe(client_user, fake, "/push/gone")
        subscribe(client_user, fake, "/push/alive")
        fake.statuses["/push/gone"] = status
        with django_capture_on_commit_callbacks(execute=True):
            message_from_therapist(partnership, their_therapist)
        assert run_deliveries() == ["sent"]  # the live device still got it
        assert len(fake.requests) == 2
    endpoints = list(PushSubscription.objects.values_list("endpoint", flat=True))
    assert endpoints == [f"{fake.url}/push/alive"]


def test_a_bad_subscription_is_refused_and_nothing_stored(client_user):
    browser = new_browser()
    for endpoint, p256dh, auth in [
        ("ftp://push.example/x", browser.p256dh, browser.auth),
        ("http://push.example.org/x", browser.p256dh, browser.auth),  # http only to loopback
        ("https://push.example.org/x", "not-a-key", browser.auth),
        ("https://push.example.org/x", browser.p256dh, browser.auth + "AAAA"),
        (None, None, None),
    ]:
        with pytest.raises(choices.NotifyError):
            choices.subscribe(user=client_user, endpoint=endpoint, p256dh=p256dh, auth=auth)
    assert not PushSubscription.objects.exists()
