"""JSON API for goals and tasks: same rules as the pages, in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from alliance.goals.models import Goal, GoalRating, Task
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _post(browser, path, data=None):
    return browser.post(path, json.dumps(data or {}), content_type="application/json")


def test_goal_lifecycle_over_the_api(partnership, client_user, their_therapist):
    therapist, client = logged_in(their_therapist), logged_in(client_user)
    response = _post(
        therapist, f"/api/goals/partnerships/{partnership.pk}/goals", {"title": "Sleep"}
    )
    assert response.status_code == 201
    goal_id = response.json()["id"]
    assert response.json()["agreed"] is False
    # The therapist's own agreement is already recorded: a conflict with the state (409).
    assert _post(therapist, f"/api/goals/goals/{goal_id}/agree").status_code == 409
    body = _post(client, f"/api/goals/goals/{goal_id}/agree").json()
    assert body["agreed"] is True and body["agreed_by_client_at"]
    for bad in (3, -3):
        assert (
            _post(client, f"/api/goals/goals/{goal_id}/ratings", {"value": bad}).status_code == 400
        )
    assert _post(client, f"/api/goals/goals/{goal_id}/ratings", {"value": 2}).status_code == 201
    listed = client.get(f"/api/goals/partnerships/{partnership.pk}/goals").json()
    assert [r["value"] for r in listed[0]["ratings"]] == [2]
    assert (
        _post(client, f"/api/goals/goals/{goal_id}/close", {"status": "archived"}).status_code
        == 200
    )
    edited = client.put(
        f"/api/goals/goals/{goal_id}", json.dumps({"title": "New"}), content_type="application/json"
    )
    assert edited.status_code == 409  # a closed goal is not edited
    assert Goal.objects.get().title == "Sleep" and GoalRating.objects.count() == 1


def test_bad_goal_input_over_the_api(partnership, client_user):
    client = logged_in(client_user)
    path = f"/api/goals/partnerships/{partnership.pk}/goals"
    assert _post(client, path, {"title": ""}).status_code == 400
    assert _post(client, path, {"title": "x" * 301}).status_code == 400
    assert _post(client, path, {}).status_code == 422
    assert Goal.objects.count() == 0


def test_tasks_over_the_api(partnership, client_user, their_therapist):
    therapist, client = logged_in(their_therapist), logged_in(client_user)
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    path = f"/api/goals/partnerships/{partnership.pk}/tasks"
    assert (
        _post(therapist, path, {"title": "Walk", "due_on": due, "goal_id": 999}).status_code == 404
    )
    task_id = _post(therapist, path, {"title": "Walk", "due_on": due}).json()["id"]
    assert _post(client, f"/api/goals/tasks/{task_id}/agree").status_code == 200
    done = _post(
        client, f"/api/goals/tasks/{task_id}/outcome", {"done": True, "reflection": "Nice"}
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    listed = client.get(path).json()
    assert listed["done"] == 1 and listed["completion_rate"] == 1.0
    assert Task.objects.get().reflection == "Nice"


def test_api_access(partnership, client_user, their_therapist, other_therapist, admin_user, client):
    goal_path = f"/api/goals/partnerships/{partnership.pk}/goals"
    assert logged_in(other_therapist).get(goal_path).status_code == 404
    assert logged_in(admin_user).get(goal_path).status_code == 403
    assert client.get(goal_path).status_code == 401
    assert _post(logged_in(other_therapist), goal_path, {"title": "x"}).status_code == 404
    assert Goal.objects.count() == 0


def test_routes_are_in_the_openapi_schema(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/goals/partnerships/{pk}/goals" in paths
    assert "/api/goals/tasks/{task_id}/outcome" in paths
    assert "/api/journal/entries" in paths
    assert "/api/journal/partnerships/{pk}/entries" in paths
