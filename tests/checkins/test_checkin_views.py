"""Request-level tests of the check-in flow: submit, score, chart, export, bad input, access."""

from __future__ import annotations

import json

import pytest

from alliance.checkins.models import Alert, CheckinRequest, Response
from tests.checkins.conftest import PHQ9_LOW_ITEM9, checkin_post, good_checkin, phq9_answers
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_client_submits_checkin_once_with_encrypted_comment(client_user, checkin_request):
    browser = logged_in(client_user)
    url = f"/checkins/requests/{checkin_request.pk}/"
    page = browser.get(url)
    assert page.status_code == 200
    assert b"not yet validated" in page.content
    data = checkin_post("alliance_checkin", {**good_checkin(5), "better_today": "more time"})
    first = browser.post(url, data)
    again = browser.post(url, data)  # double submit
    assert first.status_code == 302 and again.status_code == 302
    stored = Response.objects.get(instrument_id="alliance_checkin")
    assert stored.subscales == {"goal": 5.0, "task": 5.0, "bond": 5.0}
    assert "better_today" not in stored.answers
    assert str(stored.comment) == "more time"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM checkins_response WHERE id = %s", [stored.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("ck1:") and "more time" not in raw


def test_bad_input_stores_nothing_and_says_why(client_user, checkin_request):
    browser = logged_in(client_user)
    url = f"/checkins/requests/{checkin_request.pk}/"
    missing = good_checkin(5)
    del missing["bond_1"]
    page = browser.post(url, checkin_post("alliance_checkin", missing))
    assert page.status_code == 400 and b"Please choose an answer." in page.content
    page = browser.post(url, checkin_post("alliance_checkin", {**good_checkin(5), "goal_1": 9}))
    assert page.status_code == 400 and b"Select a valid choice" in page.content
    page = browser.post(url, checkin_post("alliance_checkin", {**good_checkin(5), "goal_1": "x"}))
    assert page.status_code == 400
    assert not Response.objects.exists()


def test_phq9_item9_shows_crisis_panel_at_once_and_raises_safety_alert(
    client_user, checkin_request, on_call_therapist
):
    browser = logged_in(client_user)
    url = f"/checkins/requests/{checkin_request.pk}/"
    browser.post(url, checkin_post("alliance_checkin", good_checkin(6), key="a"))
    page = browser.post(url, checkin_post("phq9", phq9_answers(PHQ9_LOW_ITEM9), key="b"))
    assert page.status_code == 200
    assert b"988" in page.content and b"not monitored around the clock" in page.content
    assert b"We have let your therapist and our on-call clinician know" in page.content
    alert = Alert.objects.get(kind="safety")
    assert alert.is_open and alert.evidence[0]["item9"] == 1 and alert.evidence[0]["total"] == 3


def test_crisis_language_in_comment_raises_safety_alert(client_user, checkin_request):
    browser = logged_in(client_user)
    page = browser.post(
        f"/checkins/requests/{checkin_request.pk}/",
        checkin_post("alliance_checkin", {**good_checkin(3), "better_today": "I want to die"}),
    )
    assert page.status_code == 200 and b"988" in page.content
    alert = Alert.objects.get(kind="safety")
    # The phrase is shown to the clinician, and stored sealed with the client's data key.
    assert "want to die" not in str(alert.evidence)
    assert "want to die" in alert.evidence_rows()[0]["label"]


def test_therapist_rates_mirrored_form(their_therapist, checkin_request):
    browser = logged_in(their_therapist)
    url = f"/checkins/requests/{checkin_request.pk}/"
    page = browser.get(url)
    assert b"my client" in page.content
    res = browser.post(url, checkin_post("alliance_checkin_therapist", good_checkin(4)))
    assert res.status_code == 302
    assert Response.objects.get().respondent_role == "therapist"
    # a therapist cannot answer the client's measures
    res = browser.post(url, checkin_post("phq9", phq9_answers([0] * 9), key="z"))
    assert Response.objects.count() == 1


def test_checkin_pages_are_closed_to_others(
    checkin_request, other_therapist, admin_user, jurisdiction
):
    from tests.conftest import make_client

    url = f"/checkins/requests/{checkin_request.pk}/"
    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    assert logged_in(other_therapist).get(url).status_code == 404
    assert logged_in(stranger).get(url).status_code == 404
    assert logged_in(admin_user).get(url).status_code == 403
    from django.test import Client

    assert Client().get(url).status_code == 302
    progress = f"/checkins/partnerships/{checkin_request.partnership_id}/progress/"
    assert logged_in(other_therapist).get(progress).status_code == 404
    assert logged_in(admin_user).get(progress).status_code == 403


def test_chart_shows_the_new_point_to_the_therapist(client_user, their_therapist, checkin_request):
    logged_in(client_user).post(
        f"/checkins/requests/{checkin_request.pk}/",
        checkin_post("alliance_checkin", good_checkin(2)),
    )
    page = logged_in(their_therapist).get(
        f"/checkins/partnerships/{checkin_request.partnership_id}/progress/"
    )
    assert page.status_code == 200
    assert b"<svg" in page.content and b"Bond: 2 (session 1)" in page.content
    assert b"style=" not in page.content


def test_client_starts_a_checkin_on_demand(client_user, partnership):
    import datetime as dt

    from django.utils import timezone

    from tests.conftest import make_appointment

    # given a session that has started (ratings come after a session, never before one)
    held = make_appointment(partnership, timezone.now() - dt.timedelta(minutes=40))
    browser = logged_in(client_user)
    res = browser.post(f"/checkins/partnerships/{partnership.pk}/start/")
    req = CheckinRequest.objects.get()
    assert res.status_code == 302 and res["Location"] == f"/checkins/requests/{req.pk}/"
    assert req.appointment_id == held.pk and req.session_number == 1


def test_therapist_changes_outcome_schedule(their_therapist, partnership, client_user):
    browser = logged_in(their_therapist)
    url = f"/checkins/partnerships/{partnership.pk}/schedule/"
    browser.post(url, {"instruments": ["phq9"], "every_n_sessions": 3})
    from alliance.checkins.services import outcomes_due

    assert outcomes_due(partnership, 1) == ["phq9"]
    assert outcomes_due(partnership, 3) == [] and outcomes_due(partnership, 4) == ["phq9"]
    browser.post(url, {"instruments": ["nope"], "every_n_sessions": 99})
    assert outcomes_due(partnership, 4) == ["phq9"]  # bad input changed nothing
    assert logged_in(client_user).post(url, {"every_n_sessions": 2}).status_code == 403


def test_fhir_export_of_a_response(client_user, their_therapist, other_therapist, checkin_request):
    browser = logged_in(client_user)
    browser.post(
        f"/checkins/requests/{checkin_request.pk}/",
        checkin_post("alliance_checkin", good_checkin(6)),
    )
    browser.post(
        f"/checkins/requests/{checkin_request.pk}/",
        checkin_post("phq9", phq9_answers([1, 1, 1, 1, 1, 1, 1, 1, 0]), key="p"),
    )
    phq = Response.objects.get(instrument_id="phq9")
    res = logged_in(their_therapist).get(f"/checkins/responses/{phq.pk}/fhir/")
    assert res.status_code == 200
    bundle = json.loads(res.content)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["QuestionnaireResponse", "Observation"]
    obs = bundle["entry"][1]["resource"]
    assert obs["code"]["coding"][0]["code"] == "44261-6" and obs["valueInteger"] == 8
    assert (
        obs["derivedFrom"][0]["reference"]
        == f"QuestionnaireResponse/{bundle['entry'][0]['resource']['id']}"
    )
    assert logged_in(other_therapist).get(f"/checkins/responses/{phq.pk}/fhir/").status_code == 404


def test_therapist_pages_name_severity_bands_not_codes(partnership, client_user, their_therapist):
    from alliance.checkins import services

    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="phq9",
        answers=phq9_answers([2, 2, 2, 2, 2, 2, 2, 2, 0]),  # 16: moderately severe
        request=services.request_checkin(partnership=partnership),
    )
    assert Response.objects.get(instrument_id="phq9").band == "moderately_severe"
    browser = logged_in(their_therapist)
    for path in ("/home/", f"/checkins/partnerships/{partnership.pk}/progress/"):
        page = browser.get(path).content.decode()
        assert "Moderately severe" in page and "moderately_severe" not in page, path
