"""Text-message reminders through the official Twilio library, against a local stand-in of
Twilio's Messages API: discreet, held in quiet hours, only to a confirmed number, and
stopped by a STOP reply (a request Twilio signed) until START."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from twilio.request_validator import RequestValidator

from alliance.core.zones import zone_of
from alliance.notify import choices
from alliance.notify.models import Delivery, Phone, Preferences
from alliance.schedule import tasks
from tests.conftest import make_appointment
from tests.notify.fakes import new_browser, push_service, run_deliveries, sms_bodies, twilio_api

pytestmark = pytest.mark.django_db
SID = "AC" + "0" * 32
TOKEN = "test-auth-token"
FROM = "+15005550006"
NUMBER = "+15551230000"
SITE = "https://alliance.example.org"


@pytest.fixture
def twilio(settings):
    with twilio_api() as fake:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = SID, TOKEN
        settings.TWILIO_FROM_NUMBER, settings.TWILIO_API_BASE = FROM, fake.url
        settings.SITE_URL = SITE
        yield fake


def quiet(user, *, start=None, end=None):
    prefs, _ = Preferences.objects.get_or_create(user=user)
    prefs.quiet_start, prefs.quiet_end = start, end
    prefs.save()


def confirmed_phone(user, fake):
    choices.set_phone(user=user, number="+1 (555) 123-0000")
    code = re.search(r"\d{6}", sms_bodies(fake)[-1]["Body"]).group()
    choices.confirm_phone(user=user, code=code)
    fake.requests.clear()


def remind(partnership, capture, *, hours_ahead=72):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours_ahead)
    appointment = make_appointment(partnership, start)
    with capture(execute=True):
        assert tasks.send_reminder.call(appointment.pk, "24h", start.isoformat()) is True
    return appointment


def test_a_reminder_text_is_discreet_and_ends_with_stop(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    quiet(client_user)
    confirmed_phone(client_user, twilio)
    appointment = remind(partnership, django_capture_on_commit_callbacks)
    assert run_deliveries() == ["sent"]
    (sent,) = sms_bodies(twilio)
    assert twilio.requests[0].path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert (sent["To"], sent["From"]) == (NUMBER, FROM)
    link = f"{SITE}/schedule/appointments/{appointment.pk}/"
    assert sent["Body"] == f"Alliance: You have a new update. {link}\nReply STOP to stop."
    assert "therap" not in sent["Body"].lower()
    assert run_deliveries() == []  # nothing left to send: a retried task sends nothing
    assert (
        tasks.send_reminder.call(appointment.pk, "24h", appointment.starts_at.isoformat()) is False
    )


def test_with_detail_the_text_says_when_and_still_not_what(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    quiet(client_user)
    Preferences.objects.filter(user=client_user).update(show_detail=True)
    confirmed_phone(client_user, twilio)
    remind(partnership, django_capture_on_commit_callbacks, hours_ahead=72)
    run_deliveries()
    (sent,) = sms_bodies(twilio)
    assert sent["Body"].startswith("Alliance: Reminder: your appointment at ")
    assert "therap" not in sent["Body"].lower() and "Tess" not in sent["Body"]


def test_no_reminder_goes_to_a_number_before_it_is_confirmed(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    quiet(client_user)
    choices.set_phone(user=client_user, number=NUMBER)
    (code_text,) = sms_bodies(twilio)
    assert "Reply STOP to stop." in code_text["Body"]
    code = int(re.search(r"\d{6}", code_text["Body"]).group())
    with pytest.raises(choices.NotifyError, match="not right"):
        choices.confirm_phone(user=client_user, code=f"{(code + 1) % 10**6:06d}")
    remind(partnership, django_capture_on_commit_callbacks)
    assert run_deliveries() == []
    assert len(twilio.requests) == 1  # the code, nothing else
    assert not Delivery.objects.filter(channel="sms").exists()


def test_quiet_hours_hold_texts_and_push_until_they_end(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    local = timezone.now().astimezone(zone_of(client_user))
    start, end = (local - dt.timedelta(hours=1)).time(), (local + dt.timedelta(hours=2)).time()
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    quiet(client_user, start=start, end=end)
    confirmed_phone(client_user, twilio)
    with push_service() as push:
        browser = new_browser()
        choices.subscribe(
            user=client_user, endpoint=f"{push.url}/p", p256dh=browser.p256dh, auth=browser.auth
        )
        remind(partnership, django_capture_on_commit_callbacks)
        assert run_deliveries() == []  # nothing is due yet
        assert push.requests == []
    assert twilio.requests == []
    held = Delivery.objects.filter(user=client_user, channel__in=["sms", "push"])
    assert sorted(d.channel for d in held) == ["push", "sms"]
    for delivery in held:
        assert delivery.status == "pending"
        assert delivery.due_at.astimezone(zone_of(client_user)).time() == end
    queued = DBTaskResult.objects.filter(task_path__endswith="notify.tasks.deliver")
    assert {row.run_after for row in queued} == {held[0].due_at}


def test_a_text_that_quiet_hours_would_make_late_is_left_out(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    local = timezone.now().astimezone(zone_of(client_user))
    start, end = (local - dt.timedelta(hours=1)).time(), (local + dt.timedelta(hours=3)).time()
    quiet(client_user, start=start.replace(microsecond=0), end=end.replace(microsecond=0))
    confirmed_phone(client_user, twilio)
    remind(partnership, django_capture_on_commit_callbacks, hours_ahead=2)  # before they end
    (delivery,) = Delivery.objects.filter(user=client_user, channel="sms")
    assert (delivery.status, delivery.reason) == ("skipped", "quiet_hours")
    assert run_deliveries() == [] and twilio.requests == []


def inbound(body, *, sign=True, token=TOKEN, sender=NUMBER):
    params = {"From": sender, "To": FROM, "Body": body, "MessageSid": "SM" + "1" * 32}
    headers = {}
    if sign:
        url = f"{SITE}/notify/sms/inbound/"
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(token).compute_signature(url, params)
    return Client().post("/notify/sms/inbound/", params, **headers)


def test_stop_turns_texts_off_and_start_back_on(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    quiet(client_user)
    confirmed_phone(client_user, twilio)
    assert inbound("Stop").status_code == 200
    assert not Phone.objects.get(user=client_user).can_text
    remind(partnership, django_capture_on_commit_callbacks)
    assert twilio.requests == []  # nothing queued for a stopped number
    assert inbound("START").status_code == 200
    assert Phone.objects.get(user=client_user).can_text


def test_an_unsigned_or_forged_webhook_is_refused_and_changes_nothing(twilio, client_user):
    confirmed_phone(client_user, twilio)
    assert inbound("STOP", sign=False).status_code == 403
    assert inbound("STOP", token="someone-elses-token").status_code == 403
    assert Phone.objects.get(user=client_user).can_text


def test_twilio_saying_unsubscribed_recipient_stops_texts(
    twilio, partnership, client_user, django_capture_on_commit_callbacks
):
    quiet(client_user)
    confirmed_phone(client_user, twilio)
    twilio.unsubscribed.add(NUMBER)  # they replied STOP to the carrier (error 21610)
    remind(partnership, django_capture_on_commit_callbacks)
    assert run_deliveries() == ["failed"]
    assert Phone.objects.get(user=client_user).opted_out_at is not None


def test_without_twilio_keys_texts_are_off_and_nothing_breaks(
    settings, partnership, client_user, django_capture_on_commit_callbacks
):
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(choices.NotifyError, match="not available"):
        choices.set_phone(user=client_user, number=NUMBER)
    remind(partnership, django_capture_on_commit_callbacks)  # e-mail as before
    assert not Delivery.objects.filter(channel="sms").exists()
