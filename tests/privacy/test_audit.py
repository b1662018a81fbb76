from __future__ import annotations

import pytest

from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_therapist_opening_a_client_record_writes_one_audit_row(
    partnership, their_therapist, client_user
):
    response = logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/")
    assert response.status_code == 200
    row = AuditEvent.objects.get()
    assert row.actor_id == their_therapist.pk
    assert row.actor_role == "therapist"
    assert row.action == "open_record"
    assert row.object_type == "care.partnership"
    assert row.object_id == str(partnership.pk)
    assert row.client_id == client_user.pk


def test_audit_rows_hold_ids_not_names_or_text(partnership, their_therapist, client_user):
    logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/")
    row = AuditEvent.objects.values().get()
    flat = " ".join(str(v) for v in row.values())
    assert client_user.display_name not in flat
    assert client_user.email not in flat


def test_fragment_refresh_is_not_audited_again(partnership, their_therapist):
    browser = logged_in(their_therapist)
    browser.get(f"/care/partnerships/{partnership.pk}/")
    browser.get(f"/care/partnerships/{partnership.pk}/", HTTP_HX_REQUEST="true")
    assert AuditEvent.objects.count() == 1


def test_client_reading_their_own_record_is_not_a_staff_read(partnership, client_user):
    logged_in(client_user).get(f"/care/partnerships/{partnership.pk}/")
    assert AuditEvent.objects.count() == 0


def test_refused_access_writes_no_audit_row(partnership, other_therapist):
    response = logged_in(other_therapist).get(f"/care/partnerships/{partnership.pk}/")
    assert response.status_code == 404
    assert AuditEvent.objects.count() == 0


def test_the_audit_log_finds_a_client_by_name_or_e_mail(
    partnership, their_therapist, client_user, admin_user, jurisdiction
):
    from alliance.care.services import start_partnership
    from alliance.privacy import audit
    from tests.conftest import make_client, make_therapist

    other = make_client("robin@example.org", jurisdiction, name="Robin Other")
    theirs = start_partnership(
        client=other, therapist=make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    )
    audit.record(their_therapist, audit.Action.OPEN_RECORD, partnership)
    audit.record(their_therapist, audit.Action.OPEN_RECORD, theirs)
    browser = logged_in(admin_user)
    for query in ("casey", "client@example.org", str(client_user.pk)):
        page = browser.get("/privacy/audit/", {"client": query}).content.decode()
        assert f"partnership {partnership.pk}" in page, query
        assert f"partnership {theirs.pk}<" not in page, query
    nobody = browser.get("/privacy/audit/", {"client": "nobody-like-this"})
    assert (
        nobody.status_code == 200 and f"partnership {partnership.pk}" not in nobody.content.decode()
    )
