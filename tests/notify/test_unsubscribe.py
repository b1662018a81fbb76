"""Every notification e-mail unsubscribes in one click (RFC 8058), without logging in; a GET
only asks, because mail scanners open links."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alliance.notify import services, unsubscribe
from alliance.notify.models import Preferences

pytestmark = pytest.mark.django_db


def a_checkin_email(user):
    return services.send(
        user, "checkin", key="checkin:test", link="https://alliance.example.org/x/"
    )


def test_a_notification_email_carries_the_one_click_headers_and_link(client_user, settings):
    settings.SITE_URL = "https://alliance.example.org"
    assert "email" in a_checkin_email(client_user)
    (sent,) = mail.outbox
    url = re.search(r"<(.+)>", sent.extra_headers["List-Unsubscribe"]).group(1)
    assert url.startswith("https://alliance.example.org/notify/unsubscribe/")
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in sent.body


def test_get_asks_and_post_turns_that_kind_off(client_user):
    path = reverse("notify:unsubscribe", args=[unsubscribe.token_for(client_user, "checkin")])
    page = Client().get(path)
    assert page.status_code == 200 and b"<form" in page.content
    assert services.preferences_of(client_user).wants("checkin", "email")  # GET: no change
    # The mail client's one-click POST: no session, no CSRF token.
    done = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    prefs = Preferences.objects.get(user=client_user)
    assert not prefs.wants("checkin", "email") and prefs.wants("message", "email")
    mail.outbox.clear()
    assert "email" not in a_checkin_email(client_user)
    assert mail.outbox == []


def test_a_forged_or_broken_token_changes_nothing(client_user):
    token = unsubscribe.token_for(client_user, "checkin")
    for bad in [token[:-2] + "xx", "nonsense", token.replace(":", ";")]:
        answer = Client().post(f"/notify/unsubscribe/{bad}/")
        assert answer.status_code == 404
    assert services.preferences_of(client_user).wants("checkin", "email")


def test_the_same_notification_twice_is_emailed_once(client_user):
    a_checkin_email(client_user)
    a_checkin_email(client_user)
    assert len(mail.outbox) == 1
