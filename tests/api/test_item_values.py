"""Item values over the JSON API: each wrong kind of value is refused with a 400 that names
the item, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from alliance.checkins.models import Alert, Response
from tests.checkins.conftest import good_checkin, phq9_answers
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

PHQ9_OK = [1, 1, 0, 0, 1, 0, 0, 0, 0]


def submit(browser, partnership, instrument_id: str, answers: dict[str, object]):
    body = {"partnership_id": partnership.pk, "instrument_id": instrument_id, "answers": answers}
    return browser.post(
        "/api/checkins/responses", json.dumps(body), content_type="application/json"
    )


def with_item(item: str, value: object) -> dict[str, object]:
    answers = phq9_answers(PHQ9_OK)
    answers[item] = value
    return answers


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ("phq9_9", True),  # JSON true is not the answer 1
        ("phq9_3", False),
        ("phq9_2", 1.5),  # a fraction
        ("phq9_2", 2.0),  # a float for a whole-number choice
        ("phq9_4", "2"),  # text
        ("phq9_4", "several days"),
        ("phq9_5", 4),  # out of range
        ("phq9_5", -1),
        ("phq9_6", 10**400),  # beyond any float
        ("phq9_7", [1]),
        ("phq9_8", {"value": 1}),
        ("phq9_9", None),  # the safety item left blank: required
    ],
)
def test_a_bad_value_is_refused_naming_the_item(client_user, partnership, item, value):
    # when
    res = submit(logged_in(client_user), partnership, "phq9", with_item(item, value))
    # then
    assert res.status_code == 400, res.content
    assert item in res.json()["detail"]
    assert not Response.objects.exists()
    assert not Alert.objects.exists()


def test_a_missing_item_is_refused_naming_it(client_user, partnership):
    answers = phq9_answers(PHQ9_OK)
    del answers["phq9_9"]
    del answers["phq9_4"]
    res = submit(logged_in(client_user), partnership, "phq9", answers)
    assert res.status_code == 400
    detail = res.json()["detail"]
    assert "phq9_4" in detail and "phq9_9" in detail and "required" in detail
    assert not Response.objects.exists()


def test_free_text_must_be_text(client_user, partnership):
    answers = {**good_checkin(5), "comment": 5}
    res = submit(logged_in(client_user), partnership, "alliance_checkin", answers)
    assert res.status_code == 400 and "comment" in res.json()["detail"]
    assert not Response.objects.exists()


def test_an_unknown_item_is_refused_naming_it(client_user, partnership):
    res = submit(logged_in(client_user), partnership, "phq9", with_item("phq9_10", 1))
    assert res.status_code == 400 and "phq9_10" in res.json()["detail"]
    assert not Response.objects.exists()


def test_good_values_are_stored_as_whole_numbers(client_user, partnership):
    res = submit(logged_in(client_user), partnership, "phq9", phq9_answers(PHQ9_OK))
    assert res.status_code == 201, res.content
    stored = Response.objects.get()
    assert stored.answers == phq9_answers(PHQ9_OK)
    assert all(type(v) is int for v in stored.answers.values())
    assert stored.total == 3 and stored.prorated is False


def test_the_schema_documents_the_answer_shape(client):
    schema = client.get("/api/openapi.json").json()
    submit_in = schema["components"]["schemas"]["SubmitIn"]
    answer = submit_in["properties"]["answers"]["additionalProperties"]
    assert {t["type"] for t in answer["anyOf"]} == {"integer", "number", "string", "null"}
