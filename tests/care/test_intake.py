"""Intake, web and API: answers stored (free text encrypted), bad input refused, and a
positive safety screen shows crisis resources before any matching."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from alliance.care.models import Intake, MatchOffer
from tests.care.conftest import intake_data
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_intake_page_defaults_to_the_clients_location(client_user):
    page = logged_in(client_user).get("/care/intake/")
    assert page.status_code == 200
    assert 'value="US-NY" selected' in page.content.decode()


def test_intake_is_stored_and_leads_to_matches(client_user, other_therapist):
    response = logged_in(client_user).post(
        "/care/intake/",
        intake_data(
            gender=["woman"],
            gender_must="on",
            style="directive",
            days=["0", "2"],
            times=["evening"],
            budget="90",
        ),
    )
    assert response.status_code == 302 and response["Location"] == "/care/matches/"
    answers = Intake.objects.get()
    assert answers.concerns == ["anxiety"]
    assert answers.preferences == {
        "gender": {"value": ["woman"], "must": True},
        "style": {"value": "directive", "must": False},
    }
    assert answers.preferred_times == [[0, 17, 21], [2, 17, 21]]
    assert answers.change_wanted == "I want to stop dreading Mondays"
    with connection.cursor() as cursor:
        cursor.execute("SELECT change_wanted, did_not_work FROM care_intake")
        raw = cursor.fetchone()
    assert all(v.startswith("ck1:") and "Mondays" not in v for v in raw)  # encrypted at rest


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"concerns": []}, "concerns"),
        ({"concerns": ["astrology"]}, "concerns"),
        ({"modality": "carrier pigeon"}, "modality"),
        ({"jurisdiction": "XX-NOPE"}, "jurisdiction"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"budget": "-5"}, "budget"),
        ({"age_must": "on"}, "age_must"),
        ({"screen_now": None}, "screen_now"),
    ],
)
def test_bad_intake_is_refused_and_nothing_stored(client_user, overrides, field):
    response = logged_in(client_user).post("/care/intake/", intake_data(**overrides))
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Intake.objects.exists()


def test_positive_screen_shows_crisis_panel_before_any_matching(client_user, other_therapist):
    from alliance.checkins.models import Alert

    response = logged_in(client_user).post("/care/intake/", intake_data(screen_thoughts="yes"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and "988 Suicide" in html
    assert "We have let your therapist" in html  # staff were alerted
    assert not MatchOffer.objects.exists()  # no matching happened
    answers = Intake.objects.get()
    assert answers.screen_positive and answers.screen["thoughts"] is True
    alert = Alert.objects.get(client=client_user, kind="safety", is_open=True)
    assert alert.partnership is None and alert.sources == ["intake_screen"]


def test_client_with_a_therapist_stores_no_intake_and_is_sent_to_switching(
    client_user, partnership
):
    response = logged_in(client_user).post("/care/intake/", intake_data())
    assert response.status_code == 302 and response["Location"] == "/care/switch/"
    assert not Intake.objects.exists()


def test_only_clients_fill_in_an_intake(client, their_therapist, admin_user):
    assert logged_in(their_therapist).get("/care/intake/").status_code == 403
    assert logged_in(admin_user).get("/care/intake/").status_code == 403
    response = client.get("/care/intake/")
    assert response.status_code == 302 and "/account/log-in/" in response["Location"]


def _api_payload(**overrides):
    payload = {
        "concerns": ["anxiety"],
        "languages": ["en"],
        "modality": "video",
        "preferences": {"gender": {"value": ["woman"], "must": False}},
        "screen": {
            "wished_dead": False,
            "better_off": False,
            "thoughts": False,
            "attempt": False,
            "now": False,
        },
    }
    payload.update(overrides)
    return json.dumps(payload)


def test_api_intake_defaults_location_and_zone(client_user):
    browser = logged_in(client_user)
    response = browser.post("/api/care/intake", _api_payload(), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["screen_positive"] is False and body["crisis_resources"] == []
    answers = Intake.objects.get()
    assert answers.jurisdiction.code == "US-NY" and answers.timezone == "America/New_York"


def test_api_intake_bad_input_names_the_field(client_user):
    browser = logged_in(client_user)
    response = browser.post(
        "/api/care/intake", _api_payload(concerns=["astrology"]), content_type="application/json"
    )
    assert response.status_code == 400
    assert "concerns" in response.json()["errors"]
    response = browser.post(
        "/api/care/intake",
        _api_payload(screen={"thoughts": False}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "screen_now" in response.json()["errors"]
    assert not Intake.objects.exists()


def test_api_positive_screen_returns_crisis_resources(client_user):
    browser = logged_in(client_user)
    screen = {
        "wished_dead": True,
        "better_off": False,
        "thoughts": False,
        "attempt": False,
        "now": False,
    }
    response = browser.post(
        "/api/care/intake", _api_payload(screen=screen), content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["screen_positive"] and body["alerted"]
    assert body["crisis_resources"][0]["contact"] == "Call or text 988"


def test_api_intake_refuses_therapists(their_therapist):
    response = logged_in(their_therapist).post(
        "/api/care/intake", _api_payload(), content_type="application/json"
    )
    assert response.status_code == 403


def test_finding_a_therapist_while_working_with_one_leads_to_switching(partnership, client_user):
    browser = logged_in(client_user)
    response = browser.get("/care/intake/")
    assert response.status_code == 302 and response["Location"] == "/care/switch/"
    assert "switch here" in browser.get("/care/switch/").content.decode()
