from __future__ import annotations

import pytest

from alliance.care import services
from alliance.care.models import CaseNote
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_client_and_their_therapist_open_the_partnership(partnership, client_user, their_therapist):
    assert logged_in(client_user).get(f"/care/partnerships/{partnership.pk}/").status_code == 200
    assert (
        logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/").status_code == 200
    )


def test_unrelated_therapist_gets_not_found(partnership, other_therapist):
    assert (
        logged_in(other_therapist).get(f"/care/partnerships/{partnership.pk}/").status_code == 404
    )


def test_admin_cannot_open_clinical_record_here(partnership, admin_user):
    assert logged_in(admin_user).get(f"/care/partnerships/{partnership.pk}/").status_code == 403


def test_anonymous_is_sent_to_log_in(client, partnership):
    response = client.get(f"/care/partnerships/{partnership.pk}/")
    assert response.status_code == 302 and "/account/log-in/" in response["Location"]


def test_after_a_switch_the_old_therapist_reads_only_their_own_notes(
    partnership, their_therapist, client_user
):
    services.add_case_note(partnership=partnership, author=their_therapist, text="My own note")
    services.end_partnership(partnership=partnership, reason="switched")
    browser = logged_in(their_therapist)
    page = browser.get(f"/care/partnerships/{partnership.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and "My own note" in body
    assert "Jamie" not in body  # the client's safety details are closed to them now
    assert (
        browser.post(f"/care/partnerships/{partnership.pk}/", {"text": "more"}).status_code == 405
    )
    assert CaseNote.objects.count() == 1
    assert logged_in(client_user).get(f"/care/partnerships/{partnership.pk}/").status_code == 200


def test_old_therapist_sees_no_new_clinical_data_after_a_switch(
    partnership, their_therapist, other_therapist, client_user
):
    services.end_partnership(partnership=partnership, reason="switched")
    new = services.start_partnership(client=client_user, therapist=other_therapist)
    services.add_case_note(partnership=new, author=other_therapist, text="New therapist's note")
    browser = logged_in(their_therapist)
    assert browser.get(f"/care/partnerships/{new.pk}/").status_code == 404
    old = browser.get(f"/care/partnerships/{partnership.pk}/").content.decode()
    assert "New therapist" not in old


def test_therapist_adds_a_note_and_client_never_sees_it(partnership, their_therapist, client_user):
    response = logged_in(their_therapist).post(
        f"/care/partnerships/{partnership.pk}/", {"text": "Client describes panic on the train"}
    )
    assert response.status_code == 302
    assert CaseNote.objects.get().text == "Client describes panic on the train"
    page = logged_in(client_user).get(f"/care/partnerships/{partnership.pk}/").content.decode()
    assert "panic on the train" not in page
    assert (
        logged_in(client_user)
        .post(f"/care/partnerships/{partnership.pk}/", {"text": "x"})
        .status_code
        == 405
    )


def test_empty_note_is_refused(partnership, their_therapist):
    response = logged_in(their_therapist).post(
        f"/care/partnerships/{partnership.pk}/", {"text": "   "}
    )
    assert response.status_code == 400
    assert CaseNote.objects.count() == 0


def test_one_active_partnership_per_client(partnership, client_user, other_therapist):
    with pytest.raises(services.PartnershipError):
        services.start_partnership(client=client_user, therapist=other_therapist)


def test_end_reason_must_be_known(partnership):
    with pytest.raises(services.PartnershipError):
        services.end_partnership(partnership=partnership, reason="bored")
    partnership.refresh_from_db()
    assert partnership.is_active


def test_api_lists_only_own_partnerships(
    partnership, client_user, other_therapist, their_therapist
):
    assert len(logged_in(client_user).get("/api/partnerships").json()) == 1
    assert logged_in(other_therapist).get("/api/partnerships").json() == []
    assert len(logged_in(their_therapist).get("/api/partnerships").json()) == 1


def test_api_refuses_anonymous_and_wrong_role(client, admin_user, db):
    assert client.get("/api/me").status_code == 401
    assert logged_in(admin_user).get("/api/partnerships").status_code == 403
