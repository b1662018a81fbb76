"""What a lock screen can show: "Alliance" and a neutral line unless the person opted in;
with detail, who or when, never what was written or answered, never "therapy"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alliance.notify import kinds, texts
from alliance.notify.models import Preferences
from alliance.notify.quiet import quiet_until

pytestmark = pytest.mark.django_db
FACTS = {
    kinds.REMINDER: {"starts_at": "2030-03-08T20:00:00+00:00"},
    kinds.MESSAGE: {"sender": "Dana"},
    kinds.CALL_WAITING: {"client": "Casey"},
    kinds.CHECKIN: {},
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("detail", [False, True])
def test_no_wording_says_therapy_in_any_language(client_user, language, detail):
    client_user.preferred_language = language
    client_user.save(update_fields=["preferred_language"])
    Preferences.objects.create(user=client_user, show_detail=detail)
    now = dt.datetime(2030, 3, 7, 15, tzinfo=dt.UTC)
    for kind, facts in FACTS.items():
        wording = texts.wording(client_user, kind, facts, now=now)
        shown = f"{wording.title} {wording.body} {texts.sms_body(wording, '', client_user)}"
        assert "therap" not in shown.lower() and "terap" not in shown.lower()
        assert wording.title == "Alliance"
        if not detail:
            assert "Dana" not in shown and "Casey" not in shown


def test_detail_says_when_in_the_readers_own_zone(client_user):
    Preferences.objects.create(user=client_user, show_detail=True)
    now = dt.datetime(2030, 3, 7, 15, tzinfo=dt.UTC)
    wording = texts.wording(client_user, kinds.REMINDER, FACTS[kinds.REMINDER], now=now)
    assert wording.body == "Reminder: your appointment at 3:00 p.m. tomorrow" or (
        wording.body.startswith("Reminder: your appointment at 3") and "tomorrow" in wording.body
    )


def test_quiet_hours_across_midnight_and_a_dst_change(client_user):
    prefs = Preferences(user=client_user, quiet_start=dt.time(22), quiet_end=dt.time(7))
    # New York, the night clocks go forward (2030-03-10): 23:00 EST is 04:00 UTC.
    night = dt.datetime(2030, 3, 10, 4, tzinfo=dt.UTC)
    assert quiet_until(prefs, client_user, night) == dt.datetime(2030, 3, 10, 11, tzinfo=dt.UTC)
    assert quiet_until(prefs, client_user, dt.datetime(2030, 3, 10, 15, tzinfo=dt.UTC)) is None
    prefs.quiet_start = prefs.quiet_end = None
    assert quiet_until(prefs, client_user, timezone.now()) is None
