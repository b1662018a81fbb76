"""The guided journal: private by default, shared entry by entry, crisis resources at once."""

from __future__ import annotations

import pytest
from django.db import connection

from alliance.checkins.models import Alert
from alliance.journal import services
from alliance.journal.models import JournalEntry
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

CRISIS = "Some days I think everyone would be better off without me."


def test_private_entry_is_encrypted_and_hidden_from_the_therapist(
    partnership, client_user, their_therapist
):
    # given the client writes a private entry
    response = logged_in(client_user).post(
        "/journal/", {"body": "I felt the knot in my stomach again", "mood": "4"}
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert not entry.is_shared and entry.mood == 4 and entry.partnership == partnership
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM journal_journalentry")
        (stored,) = cursor.fetchone()
    assert stored.startswith("ck1:") and "knot" not in stored
    # then the client reads it, their therapist does not, anywhere
    assert "knot in my stomach" in logged_in(client_user).get("/journal/").content.decode()
    therapist = logged_in(their_therapist)
    for path in (
        f"/journal/partnerships/{partnership.pk}/",
        f"/goals/partnerships/{partnership.pk}/progress/",
    ):
        page = therapist.get(path)
        assert page.status_code == 200 and "knot in my stomach" not in page.content.decode()
    assert therapist.get(f"/journal/entries/{entry.pk}/").status_code == 403


def test_shared_entry_reaches_the_therapist(partnership, client_user, their_therapist):
    logged_in(client_user).post(
        "/journal/",
        {"body": "Walked to the station", "bring_to_session": "The train", "share": "on"},
    )
    entry = JournalEntry.objects.get()
    assert entry.is_shared
    page = logged_in(their_therapist).get(f"/journal/partnerships/{partnership.pk}/")
    assert "Walked to the station" in page.content.decode()
    assert "The train" in page.content.decode()
    assert AuditEvent.objects.filter(actor_id=their_therapist.pk, action="open_record").exists()


def test_share_later_and_stop_sharing(partnership, client_user, their_therapist):
    entry = services.write_entry(client=client_user, body="A quiet evening").entry
    browser = logged_in(client_user)
    assert browser.post(f"/journal/entries/{entry.pk}/", {"action": "share"}).status_code == 302
    therapist = logged_in(their_therapist)
    assert (
        "A quiet evening"
        in therapist.get(f"/journal/partnerships/{partnership.pk}/").content.decode()
    )
    # sharing twice is refused
    assert browser.post(f"/journal/entries/{entry.pk}/", {"action": "share"}).status_code == 400
    assert browser.post(f"/journal/entries/{entry.pk}/", {"action": "unshare"}).status_code == 302
    assert (
        "A quiet evening"
        not in therapist.get(f"/journal/partnerships/{partnership.pk}/").content.decode()
    )


def test_private_crisis_entry_shows_resources_and_alerts_nobody(partnership, client_user):
    response = logged_in(client_user).post("/journal/", {"body": CRISIS})
    page = response.content.decode()
    assert response.status_code == 200
    assert "988 Suicide &amp; Crisis Lifeline" in page
    assert "Nobody has been alerted" in page
    assert JournalEntry.objects.count() == 1
    assert Alert.objects.count() == 0


def test_shared_crisis_entry_alerts_in_the_same_request(partnership, client_user):
    response = logged_in(client_user).post("/journal/", {"body": CRISIS, "share": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "We have let your therapist" in page
    alert = Alert.objects.get()
    assert alert.kind == "safety" and alert.partnership_id == partnership.pk
    entry = JournalEntry.objects.get()
    assert alert.evidence[0]["source"] == "shared_journal"
    assert alert.evidence[0]["entry_id"] == entry.pk
    # the evidence names phrases, never the entry's text
    assert "everyone would" not in str(alert.evidence)


def test_sharing_a_crisis_entry_later_alerts(partnership, client_user):
    entry = services.write_entry(client=client_user, body=CRISIS).entry
    assert Alert.objects.count() == 0
    response = logged_in(client_user).post(f"/journal/entries/{entry.pk}/", {"action": "share"})
    assert response.status_code == 200 and "We have let your therapist" in response.content.decode()
    assert Alert.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 20_001},
        {"body": "ok", "mood": "11"},
        {"body": "ok", "mood": "-1"},
        {"body": "ok", "mood": "sad"},
        {"body": "ok", "prompt": "not-a-prompt"},
        {"body": "ok", "bring_to_session": "y" * 2_001},
    ],
)
def test_bad_entries_are_refused(partnership, client_user, data):
    response = logged_in(client_user).post("/journal/", data)
    assert response.status_code == 400
    assert JournalEntry.objects.count() == 0


def test_mood_only_entry_is_fine(partnership, client_user):
    assert logged_in(client_user).post("/journal/", {"mood": "7"}).status_code == 302


def test_goal_prompt_ties_the_entry_to_the_goal(agreed_goal, client_user):
    page = logged_in(client_user).get("/journal/").content.decode()
    assert "Sleep before midnight" in page
    response = logged_in(client_user).post(
        "/journal/", {"body": "In bed by 11:40", "prompt": f"goal-{agreed_goal.pk}"}
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert entry.goal == agreed_goal and "Sleep before midnight" in entry.prompt


def test_client_without_therapist_journals_privately(client_user):
    assert logged_in(client_user).post("/journal/", {"body": "Just me"}).status_code == 302
    assert logged_in(client_user).post("/journal/", {"body": "x", "share": "on"}).status_code == 302
    assert not JournalEntry.objects.filter(shared_at__isnull=False).exists()
    with pytest.raises(services.JournalError):
        services.write_entry(client=client_user, body="x", share=True)


def test_client_cannot_open_someone_elses_entry(partnership, client_user, jurisdiction):
    from tests.conftest import make_client

    other = make_client("other.client@example.org", jurisdiction)
    entry = services.write_entry(client=other, body="Mine").entry
    assert logged_in(client_user).get(f"/journal/entries/{entry.pk}/").status_code == 404
    assert (
        logged_in(client_user)
        .post(f"/journal/entries/{entry.pk}/", {"action": "share"})
        .status_code
        == 404
    )
    with pytest.raises(services.JournalError):
        services.share_entry(entry=entry, by=client_user)


def test_access_to_shared_entries(
    partnership, client_user, their_therapist, other_therapist, admin_user, client
):
    services.write_entry(client=client_user, body="Shared words", share=True)
    path = f"/journal/partnerships/{partnership.pk}/"
    assert logged_in(client_user).get(path).status_code == 200
    assert logged_in(their_therapist).get(path).status_code == 200
    unrelated = logged_in(other_therapist).get(path)
    assert unrelated.status_code == 404 and b"Shared words" not in unrelated.content
    assert logged_in(admin_user).get(path).status_code == 403
    assert client.get(path).status_code == 302
    assert logged_in(their_therapist).get("/journal/").status_code == 403
    assert client.get("/journal/").status_code == 302


def test_old_therapist_loses_shared_entries_after_a_switch(
    partnership, client_user, their_therapist
):
    from alliance.care.services import end_partnership

    services.write_entry(client=client_user, body="Shared words", share=True)
    end_partnership(partnership=partnership, reason="switched")
    assert (
        logged_in(their_therapist).get(f"/journal/partnerships/{partnership.pk}/").status_code
        == 404
    )
