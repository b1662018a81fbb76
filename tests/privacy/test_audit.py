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
