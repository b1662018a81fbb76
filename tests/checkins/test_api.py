"""JSON API: submit, read scores, export FHIR; bad input and access."""

from __future__ import annotations

import json

import pytest

from alliance.checkins.models import Alert, Response
from tests.checkins.conftest import PHQ9_LOW_ITEM9, good_checkin, phq9_answers
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def post(browser, data):
    return browser.post(
        "/api/checkins/responses", json.dumps(data), content_type="application/json"
    )


def test_submit_once_read_scores_and_export(client_user, their_therapist, partnership):
    browser = logged_in(client_user)
    body = {
        "partnership_id": partnership.pk,
        "instrument_id": "alliance_checkin",
        "answers": good_checkin(5),
        "idempotency_key": "abc",
    }
    first = post(browser, body)
    assert first.status_code == 201, first.content
    assert first.json()["response"]["subscales"] == {"goal": 5.0, "task": 5.0, "bond": 5.0}
    again = post(browser, body)
    assert again.status_code == 200 and again.json()["created"] is False
    assert Response.objects.count() == 1
    scores = logged_in(their_therapist).get(f"/api/checkins/partnerships/{partnership.pk}/scores")
    assert scores.status_code == 200 and len(scores.json()["responses"]) == 1
    rid = scores.json()["responses"][0]["id"]
    fhir = browser.get(f"/api/checkins/responses/{rid}/fhir")
    assert fhir.status_code == 200 and fhir.json()["resourceType"] == "Bundle"


def test_bad_input_is_refused_with_the_item_and_rule(client_user, partnership):
    browser = logged_in(client_user)
    res = post(
        browser,
        {"partnership_id": partnership.pk, "instrument_id": "phq9", "answers": {"phq9_1": 7}},
    )
    assert res.status_code == 400 and "phq9_1" in res.json()["detail"]
    res = post(browser, {"partnership_id": partnership.pk, "instrument_id": "nope", "answers": {}})
    assert res.status_code == 400
    res = post(browser, {"partnership_id": partnership.pk, "answers": {}})
    assert res.status_code in (400, 422)
    assert not Response.objects.exists()


def test_item9_via_api_returns_crisis_resources(client_user, partnership):
    res = post(
        logged_in(client_user),
        {
            "partnership_id": partnership.pk,
            "instrument_id": "phq9",
            "answers": phq9_answers(PHQ9_LOW_ITEM9),
        },
    )
    assert res.status_code == 201 and res.json()["crisis"] is True
    assert any("988" in r["name"] for r in res.json()["crisis_resources"])
    assert Alert.objects.filter(kind="safety", is_open=True).count() == 1


def test_api_access(partnership, other_therapist, admin_user):
    from django.test import Client

    url = f"/api/checkins/partnerships/{partnership.pk}/scores"
    assert logged_in(other_therapist).get(url).status_code == 404
    assert logged_in(admin_user).get(url).status_code == 403
    assert Client().get(url).status_code == 401
    assert "/api/checkins/responses" in Client().get("/api/openapi.json").content.decode()
