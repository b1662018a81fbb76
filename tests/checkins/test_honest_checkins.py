"""Honest check-ins: the length a client is told is what is asked; no session rating before
a session has happened; no e-mail for a check-in the client started; PHQ-9 and GAD-7 every
session by default (a practice setting the therapist's choice overrides); both GAD-7 cuts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from alliance.checkins import services
from alliance.checkins.models import CheckinRequest
from tests.checkins.conftest import checkin_post, gad7_answers, good_checkin, phq9_answers
from tests.conftest import earlier_today, later_today, logged_in, make_appointment

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
RATE = b"Rate today's session"


def start_url(partnership) -> str:
    return f"/checkins/partnerships/{partnership.pk}/start/"


def ago(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


# --- no session rating before a session ----------------------------------------------------


def test_no_rating_button_and_start_refused_before_any_session(client_user, partnership):
    browser = logged_in(client_user)
    page = browser.get("/checkins/")
    assert page.status_code == 200
    assert RATE not in page.content
    assert f'action="{start_url(partnership)}"'.encode() not in page.content
    assert b"You can rate a session once it has started." in page.content
    res = browser.post(start_url(partnership), follow=True)
    assert res.status_code == 200
    assert b"No session has happened yet" in res.content
    assert not CheckinRequest.objects.exists()


@pytest.mark.parametrize(
    ("minutes_ago", "status", "extra"),
    [
        (-60, "scheduled", {}),  # still to come
        # a cancellation, late or not, is no session
        (90, "cancelled", {"late_cancellation": True, "cancelled_at": ago(60 * 24 * 2)}),
        (90, "cancelled", {"cancelled_at": ago(60 * 24 * 2)}),
        (90, "no_show", {}),
    ],
)
def test_appointments_that_did_not_happen_give_nothing_to_rate(
    client_user, partnership, minutes_ago, status, extra
):
    make_appointment(partnership, ago(minutes_ago), status=status, **extra)
    browser = logged_in(client_user)
    assert RATE not in browser.get("/checkins/").content
    assert browser.post(start_url(partnership)).status_code == 302
    assert not CheckinRequest.objects.exists()


def test_a_started_session_can_be_rated_once(
    client_user, partnership, django_capture_on_commit_callbacks
):
    # given an appointment that started ten minutes ago (nobody has recorded attendance yet)
    appointment = make_appointment(partnership, earlier_today(10))
    browser = logged_in(client_user)
    assert RATE in browser.get("/checkins/").content
    # when the client starts rating it and answers everything asked
    with django_capture_on_commit_callbacks(execute=True):
        res = browser.post(start_url(partnership))
    checkin = CheckinRequest.objects.get()
    assert res["Location"] == f"/checkins/requests/{checkin.pk}/"
    assert checkin.appointment_id == appointment.pk and checkin.session_number == 1
    url = f"/checkins/requests/{checkin.pk}/"
    browser.post(url, checkin_post("alliance_checkin", good_checkin(5), key="a"))
    browser.post(url, checkin_post("phq9", phq9_answers([0] * 9), key="b"))
    browser.post(url, checkin_post("gad7", gad7_answers([0] * 7), key="c"))
    checkin.refresh_from_db()
    assert checkin.completed_at is not None
    # then the session is rated: no button, and a second start is refused
    assert RATE not in browser.get("/checkins/").content
    res = browser.post(start_url(partnership), follow=True)
    assert b"The latest session has already been rated" in res.content
    assert CheckinRequest.objects.count() == 1


def test_a_joined_call_counts_before_its_start_time(client_user, partnership):
    make_appointment(partnership, later_today(5), client_joined_at=timezone.now())
    assert RATE in logged_in(client_user).get("/checkins/").content


def test_an_earlier_session_is_offered_with_its_date(client_user, partnership):
    make_appointment(partnership, ago(60 * 24 * 3), status="attended")
    page = logged_in(client_user).get("/checkins/").content.decode()
    assert "Rate your session of " in page and "Rate today" not in page


def test_a_rating_made_without_an_appointment_counts_for_its_session(client_user, partnership):
    # an older on-demand check-in numbered session 1, then the schedule's session 1
    services.request_checkin(partnership=partnership)
    CheckinRequest.objects.update(completed_at=timezone.now())
    make_appointment(partnership, ago(30), status="attended")
    browser = logged_in(client_user)
    assert RATE not in browser.get("/checkins/").content
    browser.post(start_url(partnership))
    assert CheckinRequest.objects.count() == 1


def test_therapist_asks_only_once_a_session_has_happened(
    their_therapist, partnership, client_user, django_capture_on_commit_callbacks
):
    browser = logged_in(their_therapist)
    progress = f"/checkins/partnerships/{partnership.pk}/progress/"
    page = browser.get(progress).content
    assert b"Ask for a check-in now" not in page
    with django_capture_on_commit_callbacks(execute=True):
        res = browser.post(start_url(partnership), follow=True)
    assert b"No session has happened yet" in res.content
    assert not CheckinRequest.objects.exists() and mail.outbox == []
    # after an attended session the therapist may ask, and the client is e-mailed
    make_appointment(partnership, ago(70), status="attended")
    assert b"Ask for a check-in now" in browser.get(progress).content
    with django_capture_on_commit_callbacks(execute=True):
        res = browser.post(start_url(partnership), follow=True)
    assert b"The client has been asked for a check-in." in res.content
    (sent,) = mail.outbox
    assert sent.to == [client_user.email] and "/checkins/requests/" in sent.body
    # asking again points at the check-in already waiting, without another e-mail
    with django_capture_on_commit_callbacks(execute=True):
        res = browser.post(start_url(partnership), follow=True)
    assert b"already has a check-in waiting (session 1)" in res.content
    assert CheckinRequest.objects.count() == 1 and len(mail.outbox) == 1
    assert b"The client has a check-in waiting (session 1)." in browser.get(progress).content


def test_only_the_partnership_may_start(partnership, other_therapist, client_user):
    make_appointment(partnership, ago(70), status="attended")
    assert logged_in(other_therapist).post(start_url(partnership)).status_code == 404
    with pytest.raises(services.CheckinError):
        services.request_checkin(partnership=partnership, started_by=other_therapist)
    assert not CheckinRequest.objects.exists()


# --- e-mail --------------------------------------------------------------------------------


def test_self_started_checkin_sends_no_email(
    client_user, partnership, django_capture_on_commit_callbacks
):
    make_appointment(partnership, ago(70), status="attended")
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(client_user).post(start_url(partnership))
    assert CheckinRequest.objects.count() == 1
    assert mail.outbox == []


def test_schedule_request_after_an_appointment_still_emails(
    client_user, partnership, django_capture_on_commit_callbacks
):
    from alliance.schedule.services import finish_appointment

    appointment = make_appointment(partnership, ago(70), status="attended")
    with django_capture_on_commit_callbacks(execute=True):
        assert finish_appointment(appointment=appointment)
    checkin = CheckinRequest.objects.get()
    assert checkin.appointment_id == appointment.pk
    (sent,) = mail.outbox
    assert sent.to == [client_user.email]


def test_email_says_how_long_what_is_asked_takes(
    partnership, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_checkin(partnership=partnership, appointment_id=501)
    (long,) = mail.outbox
    assert long.subject == "A short check-in (about 2 minutes)"
    assert "3 short parts, 23 questions, and takes about 2 minutes" in long.body
    assert "under a minute" not in long.body
    assert long.body.startswith("Hello Casey,\n\nHow did your last session go?")
    with (
        override_settings(OUTCOME_EVERY_N_SESSIONS=2),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.request_checkin(partnership=partnership, appointment_id=502)  # session 2
    short = mail.outbox[1]
    assert short.subject == "A one-minute check-in"
    assert "A short check-in takes under a minute:" in short.body


# --- how long it takes, on the pages ---------------------------------------------------------


def test_pages_say_how_long_todays_checkin_takes(client_user, partnership):
    make_appointment(partnership, ago(55), status="attended")
    browser = logged_in(client_user)
    index = browser.get("/checkins/").content.decode()
    whole = "Today's check-in has 3 short parts, 23 questions, about 2 minutes."
    first = (
        "The first part (6 questions) takes under a minute; then 2 short questionnaires "
        "your therapist uses to follow how you are doing."
    )
    assert whole.replace("'", "&#x27;") in index and first in index
    assert "A check-in takes under a minute" not in index
    browser.post(start_url(partnership))
    checkin = CheckinRequest.objects.get()
    url = f"/checkins/requests/{checkin.pk}/"
    page = browser.get(url).content.decode()
    assert whole.replace("'", "&#x27;") in page and first in page and "Part 1 of 3" in page
    browser.post(url, checkin_post("alliance_checkin", good_checkin(5)))
    page = browser.get(url).content.decode()
    assert "Part 2 of 3" in page and "Patient Health Questionnaire" in page
    assert "Today&#x27;s check-in has" not in page  # said once, on the first page


@override_settings(OUTCOME_EVERY_N_SESSIONS=2)
def test_a_rating_alone_is_under_a_minute(client_user, partnership):
    services.request_checkin(partnership=partnership, appointment_id=900)  # session 1
    CheckinRequest.objects.update(completed_at=timezone.now())
    make_appointment(partnership, ago(60 * 24 * 7), status="attended")
    make_appointment(partnership, ago(50), status="attended")  # session 2: no outcomes due
    browser = logged_in(client_user)
    page = browser.get("/checkins/").content.decode()
    assert "Today&#x27;s check-in has 6 questions and takes under a minute." in page
    assert "The first part" not in page
    browser.post(start_url(partnership))
    checkin = CheckinRequest.objects.get(session_number=2)
    assert checkin.instruments == ["alliance_checkin"]
    page = browser.get(f"/checkins/requests/{checkin.pk}/").content.decode()
    assert "6 questions and takes under a minute" in page and "Part 1 of" not in page


def test_length_follows_the_item_counts():
    length = services.checkin_length(["alliance_checkin", "phq9", "gad7"])
    assert length.parts == (6, 10, 7)  # the comment box is optional and not counted
    assert length.seconds == 23 * services.SECONDS_PER_QUESTION and length.minutes == 2
    assert not length.under_a_minute
    assert services.checkin_length(["alliance_checkin"]).under_a_minute
    assert services.CheckinLength((12,)).minutes == 2  # a full minute is never "about 1"
    assert services.CheckinLength((24,)).minutes == 3


# --- the outcome interval --------------------------------------------------------------------


def test_outcomes_every_session_by_default(partnership):
    for session in (1, 2, 3, 7):
        assert services.outcomes_due(partnership, session) == ["phq9", "gad7"]


@override_settings(OUTCOME_EVERY_N_SESSIONS=3)
def test_default_interval_comes_from_the_setting(partnership, their_therapist):
    assert services.outcome_schedule_of(partnership) == (["phq9", "gad7"], 3)
    assert services.outcomes_due(partnership, 1) == ["phq9", "gad7"]
    assert services.outcomes_due(partnership, 2) == []
    assert services.outcomes_due(partnership, 3) == []
    assert services.outcomes_due(partnership, 4) == ["phq9", "gad7"]
    page = logged_in(their_therapist).get(f"/checkins/partnerships/{partnership.pk}/progress/")
    assert "The practice's default is every 3 sessions." in page.content.decode()


@override_settings(OUTCOME_EVERY_N_SESSIONS=1)
def test_the_therapists_own_schedule_wins_over_the_setting(partnership, their_therapist):
    services.set_outcome_schedule(
        partnership=partnership, instruments=["gad7"], every_n_sessions=2, actor=their_therapist
    )
    assert services.outcomes_due(partnership, 2) == []
    assert services.outcomes_due(partnership, 3) == ["gad7"]


@pytest.mark.parametrize("value", ["0", "13", "two"])
def test_a_bad_interval_setting_stops_start_up_with_a_clear_error(value):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"OUTCOME_EVERY_N_SESSIONS": value, "DEBUG": "1"})
    done = subprocess.run(
        [sys.executable, "-c", "import alliance.settings"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured: OUTCOME_EVERY_N_SESSIONS must be a whole number" in done.stderr


# --- both GAD-7 cuts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "screening", "caseness"),
    [
        ([1, 1, 1, 1, 2, 1, 1], "negative", "yes"),  # 8: NHS caseness, below Spitzer's cut
        ([2, 2, 2, 1, 1, 1, 1], "positive", "yes"),  # 10
        ([1, 1, 1, 1, 1, 1, 1], "negative", "no"),  # 7
    ],
)
def test_progress_page_shows_both_gad7_cuts_with_their_rules(
    partnership, client_user, their_therapist, answers, screening, caseness
):
    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="gad7",
        answers=gad7_answers(answers),
        request=services.request_checkin(partnership=partnership),
    )
    page = logged_in(their_therapist).get(f"/checkins/partnerships/{partnership.pk}/progress/")
    text = page.content.decode()
    assert f"Screening cut (≥ 10, Spitzer et al. 2006): {screening}" in text
    assert f"NHS Talking Therapies caseness (≥ 8): {caseness}" in text


def test_phq9_cuts_name_their_rules(partnership, client_user, their_therapist):
    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="phq9",
        answers=phq9_answers([1, 1, 1, 1, 1, 1, 1, 1, 0]),  # 8
        request=services.request_checkin(partnership=partnership),
    )
    text = (
        logged_in(their_therapist)
        .get(f"/checkins/partnerships/{partnership.pk}/progress/")
        .content.decode()
    )
    assert "Screening cut (≥ 10, Kroenke et al. 2001): negative" in text
    assert "NHS Talking Therapies caseness (≥ 10): no" in text
