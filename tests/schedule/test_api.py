"""The JSON API for availability and booking."""

from __future__ import annotations

import json

import pytest

from alliance.schedule.models import Appointment
from tests.conftest import logged_in
from tests.schedule.conftest import ny

pytestmark = pytest.mark.django_db


def post(c, url, data):
    return c.post(url, json.dumps(data), content_type="application/json")


def test_slots_and_booking(partnership, client_user, open_week):
    c = logged_in(client_user)
    c.get("/")  # a CSRF cookie
    slots = c.get(f"/api/schedule/partnerships/{partnership.pk}/slots?days=3").json()
    assert slots["time_zone"] == "America/New_York" and slots["slots"]
    first = slots["slots"][0]["starts_at"]
    c = logged_in(client_user)
    from django.test import Client

    c = Client(enforce_csrf_checks=False)
    c.force_login(client_user)
    made = post(
        c,
        "/api/schedule/appointments",
        {"partnership_id": partnership.pk, "starts_at": first, "modality": "chat"},
    )
    assert made.status_code == 201, made.content
    again = post(
        c,
        "/api/schedule/appointments",
        {"partnership_id": partnership.pk, "starts_at": first, "modality": "chat"},
    )
    assert again.status_code == 409
    past = post(
        c,
        "/api/schedule/appointments",
        {"partnership_id": partnership.pk, "starts_at": ny(-2, 10).isoformat(), "modality": "chat"},
    )
    assert past.status_code == 400 and "past" in past.json()["detail"]
    bad = post(
        c,
        "/api/schedule/appointments",
        {"partnership_id": partnership.pk, "starts_at": "soon", "modality": "chat"},
    )
    assert bad.status_code == 422
    appointment_id = made.json()["id"]
    moved = post(
        c,
        f"/api/schedule/appointments/{appointment_id}/reschedule",
        {"starts_at": ny(5, 15).isoformat()},
    )
    assert moved.status_code == 200 and moved.json()["local_start"].startswith(
        ny(5, 15).isoformat()[:16]
    )
    moved_id = moved.json()["id"]  # a new one when the move counted as a late cancellation
    assert post(c, f"/api/schedule/appointments/{moved_id}/cancel", {}).status_code == 200
    assert Appointment.objects.get(pk=moved_id).status == "cancelled"
    # Already cancelled: well formed, but it conflicts with the appointment's state.
    assert post(c, f"/api/schedule/appointments/{moved_id}/cancel", {}).status_code == 409


def test_api_access(partnership, client_user, other_therapist, admin_user, open_week, client):
    url = f"/api/schedule/partnerships/{partnership.pk}/slots"
    assert client.get(url).status_code == 401
    assert logged_in(other_therapist).get(url).status_code == 404
    assert logged_in(admin_user).get(url).status_code == 403


def test_openapi_lists_the_schedule_operations(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/schedule/appointments" in paths
    assert "/api/schedule/partnerships/{partnership_id}/slots" in paths
