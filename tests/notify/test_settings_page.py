"""The Notifications page: each person's channels, quiet hours and detail opt-in, a number
confirmed by code; bad input gets a message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from alliance.notify.models import Preferences
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_the_page_offers_each_role_its_own_kinds(client_user, their_therapist):
    client_page = logged_in(client_user).get("/notify/settings/")
    therapist_page = logged_in(their_therapist).get("/notify/settings/")
    assert client_page.status_code == therapist_page.status_code == 200
    assert b'name="channels-checkin"' in client_page.content
    assert b'name="channels-call_waiting"' not in client_page.content
    assert b'name="channels-call_waiting"' in therapist_page.content
    assert b"js/push.js" in client_page.content and b"data-vapid-key=" in client_page.content
    assert b"<script>" not in client_page.content  # no inline script (CSP)


def test_choices_are_saved(client_user):
    answer = logged_in(client_user).post(
        "/notify/settings/",
        {
            "channels-reminder": ["email", "sms"],
            "channels-message": ["push", "nonsense"],
            "quiet_start": "22:30",
            "quiet_end": "06:45",
            "show_detail": "on",
        },
    )
    assert answer.status_code == 302
    prefs = Preferences.objects.get(user=client_user)
    assert prefs.channels["reminder"] == ["email", "sms"]
    assert prefs.channels["message"] == ["push"]
    assert prefs.channels["checkin"] == []  # nothing ticked: off
    assert (prefs.quiet_start, prefs.quiet_end) == (dt.time(22, 30), dt.time(6, 45))
    assert prefs.show_detail


@pytest.mark.parametrize(
    "quiet", [{"quiet_start": "25:00", "quiet_end": "07:00"}, {"quiet_start": "22:00"}]
)
def test_bad_quiet_hours_are_refused_with_a_message(client_user, quiet):
    answer = logged_in(client_user).post(
        "/notify/settings/", {"channels-reminder": ["sms"], **quiet}
    )
    assert answer.status_code == 200
    assert b'class="error' in answer.content or b"form-errors" in answer.content
    prefs = Preferences.objects.get(user=client_user)  # the defaults, untouched
    assert prefs.channels["reminder"] == ["email", "push", "sms"]
    assert (prefs.quiet_start, prefs.quiet_end) == (dt.time(21), dt.time(8))


def test_without_twilio_a_number_is_refused_with_a_message(client_user, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    browser = logged_in(client_user)
    answer = browser.post("/notify/settings/phone/", {"number": "+15551230000"}, follow=True)
    assert "Text messages are not available" in answer.content.decode()


def test_a_bad_subscription_body_is_a_400_not_a_500(client_user):
    browser = logged_in(client_user)
    for body in [b"not json", b"[]", b'{"endpoint": 5, "keys": "x"}']:
        answer = browser.post("/notify/push/subscribe/", body, content_type="application/json")
        assert answer.status_code == 400


def test_someone_logged_out_is_sent_to_log_in():
    from django.test import Client

    assert Client().get("/notify/settings/").status_code == 302
