"""What each status of the JSON API means, and that the schema says it (alliance/api/errors.py):
400 a broken input rule, 403 the caller's role, 404 nothing of theirs, 409 a conflict with the
current state, 422 the wrong shape, 429 the rate limit. Nothing is stored on a refusal."""

from __future__ import annotations

import datetime as dt
import json
import re

import jsonschema_rs
import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from alliance.api.inputs import MAX_ID, NO_NUL, VISIBLE, WHITE_SPACE
from alliance.goals.models import Goal, GoalRating, Task
from alliance.journal.models import JournalEntry
from alliance.schedule.models import Appointment
from tests.checkins.conftest import good_checkin
from tests.conftest import logged_in, make_appointment

pytestmark = pytest.mark.django_db


def post(browser, path, data=None):
    return browser.post(
        path, json.dumps({} if data is None else data), content_type="application/json"
    )


def put(browser, path, data):
    return browser.put(path, json.dumps(data), content_type="application/json")


@pytest.fixture
def schema(client):
    return client.get("/api/openapi.json").json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


# --- the schema documents every status --------------------------------------------------


def test_every_operation_documents_its_refusals_with_one_error_shape(schema):
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for label, operation in operations(schema):
        responses = operation["responses"]
        for code in ("400", "429"):  # text refused at the door; the rate limit
            assert responses[code]["content"]["application/json"]["schema"] == error, label
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), label
        if operation.get("parameters") or operation.get("requestBody"):
            assert responses["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ValidationErrorOut"
            }, label
    # One shape, not one per router (there were five ErrorOut schemas)
    names = {n for n in schema["components"]["schemas"] if "Error" in n}
    assert names == {"ErrorOut", "ValidationErrorOut"}


def test_a_rate_limited_answer_is_the_documented_429(client, schema):
    codes = [client.get("/api/health") for _ in range(61)]
    limited = codes[-1]
    assert limited.status_code == 429 and limited["Retry-After"].isdigit()
    documented = schema["paths"]["/api/health"]["get"]["responses"]["429"]
    assert documented["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    validator = jsonschema_rs.validator_for(
        {**schema["components"]["schemas"]["ErrorOut"], "components": schema["components"]}
    )
    assert validator.is_valid(limited.json()) and set(limited.json()) == {"detail"}


def test_ids_are_bounded_by_the_largest_key(client_user, partnership, schema):
    parameter = schema["paths"]["/api/goals/goals/{goal_id}"]["get"]["parameters"][0]
    assert parameter["schema"]["minimum"] == 1 and parameter["schema"]["maximum"] == MAX_ID
    browser = logged_in(client_user)
    # Beyond the database's integer a lookup was a server error on SQLite.
    assert browser.get(f"/api/goals/goals/{MAX_ID + 1}").status_code == 422
    assert browser.get("/api/goals/goals/0").status_code == 422
    assert browser.get(f"/api/goals/goals/{MAX_ID}").status_code == 404


# --- 409: well formed, but not now ---------------------------------------------------------


def test_agreeing_twice_is_a_conflict(client_user, their_therapist, partnership):
    goal = post(
        logged_in(their_therapist),
        f"/api/goals/partnerships/{partnership.pk}/goals",
        {"title": "Sleep"},
    )
    assert goal.status_code == 201
    again = post(logged_in(their_therapist), f"/api/goals/goals/{goal.json()['id']}/agree")
    assert again.status_code == 409 and "already agreed" in again.json()["detail"]
    closed = post(
        logged_in(client_user),
        f"/api/goals/goals/{goal.json()['id']}/close",
        {"status": "archived"},
    )
    assert closed.status_code == 200
    edited = put(logged_in(client_user), f"/api/goals/goals/{goal.json()['id']}", {"title": "New"})
    assert edited.status_code == 409
    assert Goal.objects.get().title == "Sleep"


def test_sharing_twice_and_cancelling_twice_are_conflicts(client_user, partnership):
    browser = logged_in(client_user)
    entry = post(browser, "/api/journal/entries", {"body": "A thought", "share": True})
    assert entry.status_code == 201
    assert (
        post(browser, f"/api/journal/entries/{entry.json()['entry']['id']}/share").status_code
        == 409
    )
    appointment = make_appointment(partnership, timezone.now() + dt.timedelta(days=3))
    path = f"/api/schedule/appointments/{appointment.pk}/cancel"
    assert post(browser, path).status_code == 200
    assert post(browser, path).status_code == 409


def test_without_a_therapist_switching_and_sharing_are_conflicts(client_user, partnership):
    browser = logged_in(client_user)
    assert post(browser, "/api/care/switch", {"reason": "tasks"}).status_code == 200
    assert post(browser, "/api/care/switch", {"reason": "tasks"}).status_code == 409
    shared = post(browser, "/api/journal/entries", {"body": "A thought", "share": True})
    assert shared.status_code == 409 and not JournalEntry.objects.exists()


def test_matches_and_the_waiting_list_need_an_intake_first(client_user):
    browser = logged_in(client_user)
    assert browser.get("/api/care/matches").status_code == 409
    assert post(browser, "/api/care/waiting-list").status_code == 409


def test_an_intake_while_working_with_a_therapist_is_a_conflict(client_user, partnership):
    from alliance.care.models import Intake

    body = {
        "concerns": ["anxiety"],
        "languages": ["en"],
        "modality": "video",
        "screen": dict.fromkeys(["wished_dead", "better_off", "thoughts", "attempt", "now"], False),
    }
    assert post(logged_in(client_user), "/api/care/intake", body).status_code == 409
    assert not Intake.objects.exists()


def test_an_ended_partnership_takes_no_booking_and_no_check_in(client_user, partnership):
    from alliance.care import switching
    from alliance.checkins.models import Response

    switching.switch_therapist(partnership=partnership, reason="", consent_handoff=False)
    browser = logged_in(client_user)
    checkin = {
        "partnership_id": partnership.pk,
        "instrument_id": "alliance_checkin",
        "answers": good_checkin(5),
    }
    refused = post(browser, "/api/checkins/responses", checkin)
    assert refused.status_code == 409 and not Response.objects.exists()
    starts = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0).isoformat()
    booking = {"partnership_id": partnership.pk, "starts_at": starts, "modality": "video"}
    assert post(browser, "/api/schedule/appointments", booking).status_code == 409
    assert not Appointment.objects.exists()


# --- 403 and 404 ---------------------------------------------------------------------------


def test_each_side_answers_only_its_own_check_in(client_user, their_therapist, partnership):
    from alliance.checkins.models import Response

    def submit(user, instrument_id):
        body = {
            "partnership_id": partnership.pk,
            "instrument_id": instrument_id,
            "answers": good_checkin(5),
        }
        return post(logged_in(user), "/api/checkins/responses", body)

    assert submit(their_therapist, "alliance_checkin").status_code == 403
    assert submit(client_user, "alliance_checkin_therapist").status_code == 403
    assert not Response.objects.exists()
    assert submit(their_therapist, "alliance_checkin_therapist").status_code == 201


def test_a_task_for_a_goal_that_is_not_there_is_not_found(their_therapist, partnership):
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    path = f"/api/goals/partnerships/{partnership.pk}/tasks"
    response = post(
        logged_in(their_therapist), path, {"title": "Walk", "due_on": due, "goal_id": 999}
    )
    assert response.status_code == 404 and not Task.objects.exists()


# --- 400: a documented rule, worded as the service words it --------------------------------


@pytest.mark.parametrize("blank", [" ", "\u3000", "\x1c\t\n", "\u2028\u00a0"])
def test_a_title_of_white_space_only_is_refused(client_user, partnership, blank):
    path = f"/api/goals/partnerships/{partnership.pk}/goals"
    response = post(logged_in(client_user), path, {"title": blank})
    assert response.status_code == 400 and response.json()["detail"] == "Please write the goal."
    assert not Goal.objects.exists()


def test_a_text_is_measured_as_sent(client_user, partnership):
    # 300 characters after stripping, 302 as sent: the documented maxLength is what counts.
    path = f"/api/goals/partnerships/{partnership.pk}/goals"
    response = post(logged_in(client_user), path, {"title": f" {'x' * 300} "})
    assert response.status_code == 400 and "at most 300" in response.json()["detail"]
    assert not Goal.objects.exists()


def test_a_booking_time_without_its_offset_names_the_rule(client_user, partnership):
    naive = (timezone.now() + dt.timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    body = {"partnership_id": partnership.pk, "starts_at": naive.isoformat(), "modality": "video"}
    response = post(logged_in(client_user), "/api/schedule/appointments", body)
    assert response.status_code == 400 and "time zone" in response.json()["detail"]


def test_the_due_date_example_is_one_the_api_accepts_today(client_user, partnership, schema):
    example = schema["components"]["schemas"]["TaskIn"]["properties"]["due_on"]["example"]
    path = f"/api/goals/partnerships/{partnership.pk}/tasks"
    assert (
        post(logged_in(client_user), path, {"title": "Walk", "due_on": example}).status_code == 201
    )


# --- 422: not the documented shape ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"value": True},  # not the number 1
        {"value": "1"},
        {"value": 1.5},
        {"value": 1, "mood": "great"},  # an unknown field
    ],
)
def test_a_rating_of_the_wrong_shape_is_refused(client_user, their_therapist, partnership, body):
    from alliance.goals import services

    goal = services.propose_goal(partnership=partnership, by=client_user, title="Sleep")
    services.agree_goal(goal=goal, by=their_therapist)
    response = post(logged_in(client_user), f"/api/goals/goals/{goal.pk}/ratings", body)
    assert response.status_code == 422 and not GoalRating.objects.exists()
    # JSON Schema counts 1.0 as the integer 1
    assert (
        post(
            logged_in(client_user), f"/api/goals/goals/{goal.pk}/ratings", {"value": 1.0}
        ).status_code
        == 201
    )


def test_query_numbers_out_of_range_are_refused(client_user, partnership):
    browser = logged_in(client_user)
    assert browser.get("/api/journal/entries?offset=-1").status_code == 422
    assert (
        browser.get(f"/api/schedule/partnerships/{partnership.pk}/slots?days=0").status_code == 422
    )
    assert (
        browser.get(f"/api/schedule/partnerships/{partnership.pk}/slots?days=32").status_code == 422
    )


def test_a_preference_cannot_stand_in_for_another_answer(client_user):
    from alliance.care.models import Intake

    body = {
        "concerns": ["anxiety"],
        "languages": ["en"],
        "modality": "video",
        "preferences": {"modality": {"value": "chat", "must": True}},
        "screen": dict.fromkeys(["wished_dead", "better_off", "thoughts", "attempt", "now"], False),
    }
    assert post(logged_in(client_user), "/api/care/intake", body).status_code == 422
    body["preferences"] = {}
    body["screen"]["sometimes"] = False
    assert post(logged_in(client_user), "/api/care/intake", body).status_code == 422
    assert not Intake.objects.exists()


def test_unknown_fields_are_refused_and_nothing_is_stored(client_user, partnership):
    browser = logged_in(client_user)
    response = post(browser, "/api/journal/entries", {"body": "A thought", "shared": True})
    assert response.status_code == 422 and not JournalEntry.objects.exists()


# --- the documented patterns mean what the services do ---------------------------------------


WHITE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_the_white_space_class_is_pythons():
    spelled = jsonschema_rs.validator_for({"pattern": f"^[{WHITE_SPACE}]+$"})
    assert all(spelled.is_valid(c) for c in WHITE)
    assert not any(spelled.is_valid(chr(c)) for c in range(0x3001) if not chr(c).isspace())


# Lone surrogates cannot be sent as UTF-8 and are refused at the door (alliance/core/nul.py).
@given(
    st.text(
        st.one_of(
            st.sampled_from(WHITE),
            st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
        )
    )
)
def test_a_visible_text_is_one_that_strip_leaves_something_of(text):
    # The schema's pattern, read as JSON Schema reads it, agrees with the services' strip().
    assert jsonschema_rs.validator_for({"pattern": VISIBLE}).is_valid(text) == bool(text.strip())
    assert bool(re.fullmatch(VISIBLE, text)) == bool(text.strip())  # as the API checks it
    assert jsonschema_rs.validator_for({"pattern": NO_NUL}).is_valid(text)


def test_check_in_answers_are_documented_per_instrument(schema):
    from alliance.checkins import instruments

    branches = schema["components"]["schemas"]["SubmitIn"]["oneOf"]
    by_id = {
        b["properties"]["instrument_id"]["const"]: b["properties"]["answers"] for b in branches
    }
    assert {"alliance_checkin", "alliance_checkin_therapist", "phq9", "gad7"} <= set(by_id)
    phq9 = instruments.instrument("phq9")
    assert set(by_id["phq9"]["properties"]) == {i.id for i in phq9.items}
    assert by_id["phq9"]["required"] == [f"phq9_{n}" for n in range(1, 10)]
    assert by_id["phq9"]["properties"]["phq9_9"] == {"type": "integer", "enum": [0, 1, 2, 3]}
    assert by_id["phq9"]["additionalProperties"] is False


def test_a_client_without_a_session_is_told_so(partnership):
    response = Client().get(f"/api/goals/partnerships/{partnership.pk}/goals")
    assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}
