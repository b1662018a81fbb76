from __future__ import annotations

import json

import pytest

from alliance.checkins import services
from alliance.checkins.models import PracticeInstrument, Response
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def post_json(browser, url, body):
    return browser.post(url, json.dumps(body), content_type="application/json")


def test_api_answer_too_large_for_a_float_is_refused(partnership, client_user):
    response = post_json(
        logged_in(client_user),
        "/api/checkins/responses",
        {"partnership_id": partnership.pk, "instrument_id": "phq9", "answers": {"phq9_1": 10**400}},
    )
    assert response.status_code == 400
    assert not Response.objects.exists()


# --- NUL bytes (PostgreSQL only: the query itself raises DataError) -------------------------


def test_fill_page_with_a_nul_in_the_instrument_id(partnership, client_user):
    checkin = services.request_checkin(partnership=partnership)
    response = logged_in(client_user).post(
        f"/checkins/requests/{checkin.pk}/", {"instrument_id": "a\x00b"}
    )
    assert response.status_code in (200, 302, 400)
    assert not Response.objects.exists()


def test_scores_api_with_a_nul_in_the_instrument_filter(partnership, client_user):
    response = logged_in(client_user).get(
        f"/api/checkins/partnerships/{partnership.pk}/scores", {"instrument": "phq9\x00"}
    )
    assert response.status_code in (200, 400)


def test_submit_api_with_a_nul_in_the_idempotency_key(partnership, client_user):
    response = post_json(
        logged_in(client_user),
        "/api/checkins/responses",
        {
            "partnership_id": partnership.pk,
            "instrument_id": "checkin",
            "answers": {},
            "idempotency_key": "key\x00",
        },
    )
    assert response.status_code == 400


def test_submit_api_with_a_nul_in_the_instrument_id(partnership, client_user):
    checkin = services.request_checkin(partnership=partnership)
    response = post_json(
        logged_in(client_user),
        "/api/checkins/responses",
        {
            "partnership_id": partnership.pk,
            "instrument_id": "phq9\x00",
            "answers": {},
            "request_id": checkin.pk,
        },
    )
    assert response.status_code == 400


# --- questionnaire import (admin) -----------------------------------------------------------


def phq9_questionnaire(**changes):
    with open("tests/measures/fhir_phq9_answer_options.json") as f:
        data = json.load(f)
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("instrument_id", "questionnaire"),
    [
        ("x" * 61, phq9_questionnaire()),  # PracticeInstrument.instrument_id is 60 chars (PG)
        ("myq", phq9_questionnaire(title="T" * 201)),  # title is 200 chars (PG)
        ("myq", phq9_questionnaire(title="a\x00b")),  # NUL in a CharField (PG)
        ("myq", phq9_questionnaire(publisher="p\x00")),  # \u0000 in jsonb (PG)
        ("myq", "[" * 100_000 + "]" * 100_000),  # RecursionError in json.loads (any DB)
    ],
)
def test_bad_questionnaire_import_is_refused(admin_user, instrument_id, questionnaire):
    response = logged_in(admin_user).post(
        "/checkins/practice/instruments/",
        {"instrument_id": instrument_id, "questionnaire": questionnaire},
    )
    assert response.status_code == 400
    assert not PracticeInstrument.objects.exists()
