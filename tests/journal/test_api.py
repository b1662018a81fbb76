"""JSON API for journal entries: private by default, shared entries only to the therapist."""

from __future__ import annotations

import json

import pytest

from alliance.checkins.models import Alert
from alliance.journal.models import JournalEntry
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _post(browser, path, data=None):
    return browser.post(path, json.dumps(data or {}), content_type="application/json")


def test_write_share_and_read(partnership, client_user, their_therapist, other_therapist):
    client = logged_in(client_user)
    private = _post(client, "/api/journal/entries", {"body": "Private thought", "mood": 5})
    assert private.status_code == 201 and private.json()["entry"]["shared"] is False
    shared = _post(client, "/api/journal/entries", {"body": "Shared thought", "share": True})
    assert shared.status_code == 201
    assert [e["body"] for e in client.get("/api/journal/entries").json()] == [
        "Shared thought",
        "Private thought",
    ]
    path = f"/api/journal/partnerships/{partnership.pk}/entries"
    seen = logged_in(their_therapist).get(path).json()
    assert [e["body"] for e in seen] == ["Shared thought"]
    assert logged_in(other_therapist).get(path).status_code == 404
    assert logged_in(their_therapist).get("/api/journal/entries").status_code == 403
    entry_id = private.json()["entry"]["id"]
    assert _post(client, f"/api/journal/entries/{entry_id}/share").status_code == 200
    assert len(logged_in(their_therapist).get(path).json()) == 2
    assert _post(client, f"/api/journal/entries/{entry_id}/share").status_code == 409  # shared


def test_crisis_over_the_api(partnership, client_user):
    client = logged_in(client_user)
    private = _post(client, "/api/journal/entries", {"body": "I want to die"}).json()
    assert private["crisis"] is True and private["alerted"] is False
    assert private["crisis_resources"][0]["contact"] == "Call or text 988"
    assert Alert.objects.count() == 0
    shared = _post(client, "/api/journal/entries", {"body": "I want to die", "share": True}).json()
    assert shared["crisis"] is True and shared["alerted"] is True
    assert Alert.objects.filter(kind="safety").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"body": ""},
        {"body": "x" * 20_001},
        {"body": "ok", "mood": 11},
        {"body": "ok", "prompt_key": "nope"},
    ],
)
def test_bad_entries_over_the_api(partnership, client_user, data):
    assert _post(logged_in(client_user), "/api/journal/entries", data).status_code == 400
    assert JournalEntry.objects.count() == 0


def test_other_clients_entry_is_not_found(partnership, client_user, jurisdiction):
    from alliance.journal.services import write_entry
    from tests.conftest import make_client

    other = make_client("someone@example.org", jurisdiction)
    entry = write_entry(client=other, body="Theirs").entry
    client = logged_in(client_user)
    assert client.get(f"/api/journal/entries/{entry.pk}").status_code == 404
    assert _post(client, f"/api/journal/entries/{entry.pk}/share").status_code == 404
