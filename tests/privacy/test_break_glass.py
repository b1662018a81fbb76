from __future__ import annotations

import pytest

from alliance.care.services import add_case_note
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_admin_breaks_glass_with_a_reason_and_it_is_audited(
    admin_user, partnership, their_therapist, client_user
):
    browser = logged_in(admin_user)
    response = browser.post(
        "/privacy/break-glass/",
        {
            "client": client_user.email,
            "reason": "Therapist unreachable; client called about safety",
        },
    )
    assert response.status_code == 200
    assert "Jamie" in response.content.decode()  # the emergency contact
    row = AuditEvent.objects.get(action="break_glass")
    assert row.client_id == client_user.pk and row.actor_id == admin_user.pk
    assert "Therapist unreachable" in row.reason
    # the client sees it
    page = logged_in(client_user).get("/privacy/who-opened-my-record/").content.decode()
    assert "A practice admin" in page and "Therapist unreachable" in page


def test_break_glass_without_a_reason_opens_nothing(admin_user, client_user):
    response = logged_in(admin_user).post(
        "/privacy/break-glass/", {"client": client_user.email, "reason": "x"}
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.exists()


def test_unknown_client_is_refused(admin_user, db):
    response = logged_in(admin_user).post(
        "/privacy/break-glass/",
        {"client": "nobody@example.org", "reason": "A long enough reason here"},
    )
    assert response.status_code == 400
    assert "No client matches" in response.content.decode()


def test_only_admins_can_break_glass(their_therapist, client_user):
    for user in (their_therapist, client_user):
        assert logged_in(user).get("/privacy/break-glass/").status_code == 403


def test_admin_never_sees_clinical_text_outside_break_glass(
    admin_user, partnership, their_therapist
):
    add_case_note(partnership=partnership, author=their_therapist, text="Secret-marker-42")
    browser = logged_in(admin_user)
    for path in ["/home/", "/home/?tab=clients", "/privacy/audit/"]:
        assert "Secret-marker-42" not in browser.get(path).content.decode()


def test_the_emergency_record_is_readable_not_a_data_dump(
    admin_user, partnership, their_therapist, client_user
):
    from alliance.conversations import services as conversations

    conversations.post_message(
        partnership=partnership, sender=client_user, client_id="record-0001", body="Hi <there>"
    )
    html = (
        logged_in(admin_user)
        .post(
            "/privacy/break-glass/",
            {"client": client_user.email, "reason": "Therapist unreachable; safety call"},
        )
        .content.decode()
    )
    assert "<td>Hi &lt;there&gt;</td>" in html  # decrypted, escaped, in a table
    assert "<td>client</td>" in html and "<td>you</td>" not in html  # who wrote it, by role
    assert "<table" in html and "<th" in html  # rows as tables
    assert "{'" not in html and "': " not in html and "<pre" not in html  # no Python dump
    assert "+00:00" not in html  # times for people, not ISO strings
