"""The audit log is sealed into a hash chain; any edit, deletion or reordering is detected."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from alliance.privacy import chain
from alliance.privacy.models import AuditBlock, AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed_log(partnership, their_therapist):
    browser = logged_in(their_therapist)
    for _ in range(5):
        browser.get(f"/care/partnerships/{partnership.pk}/")
    assert AuditEvent.objects.count() == 5
    assert chain.seal(grace=timedelta(0)) == 1
    return list(AuditEvent.objects.order_by("id"))


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=out)
    return out.getvalue()


def test_opening_a_record_writes_a_row_and_the_sealed_chain_verifies(sealed_log):
    assert "audit log OK: 1 block(s), 5 sealed row(s)" in verify()


def test_seal_is_incremental_and_chains_blocks(sealed_log, partnership, their_therapist):
    logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/")
    assert chain.seal(grace=timedelta(0)) == 1
    first, second = AuditBlock.objects.order_by("seq")
    assert second.prev_hash == first.block_hash
    assert chain.seal(grace=timedelta(0)) == 0
    assert "2 block(s), 6 sealed row(s)" in verify()


def test_recent_rows_wait_for_the_grace_period(partnership, their_therapist):
    logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/")
    assert chain.seal() == 0  # younger than the grace period: a late commit may still land
    assert AuditBlock.objects.count() == 0


def test_an_edited_row_is_detected(sealed_log):
    AuditEvent.objects.filter(pk=sealed_log[2].pk).update(actor_id=999)
    with pytest.raises(CommandError, match="FAILED"):
        verify()


def test_a_deleted_row_is_detected(sealed_log):
    AuditEvent.objects.filter(pk=sealed_log[1].pk).delete()
    with pytest.raises(CommandError):
        verify()


def test_reordered_rows_are_detected(sealed_log):
    a, b = sealed_log[0], sealed_log[3]
    # Swap the timestamps of two rows: the same set of rows, in another order.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE privacy_auditevent SET at = %s WHERE id = %s", [b.at, a.pk])
        cursor.execute("UPDATE privacy_auditevent SET at = %s WHERE id = %s", [a.at, b.pk])
    with pytest.raises(CommandError):
        verify()


def test_an_inserted_row_is_detected(sealed_log):
    row = sealed_log[-1]
    AuditEvent.objects.filter(pk=row.pk).delete()
    AuditEvent.objects.create(
        id=row.pk,
        actor_id=row.actor_id,
        actor_role="therapist",
        action="open_record",
        object_type="care.partnership",
        object_id="1",
        client_id=row.client_id,
    )
    with pytest.raises(CommandError):
        verify()


def test_a_deleted_block_is_detected(sealed_log, partnership, their_therapist):
    logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/")
    chain.seal(grace=timedelta(0))
    AuditBlock.objects.filter(seq=1).delete()
    with pytest.raises(CommandError):
        verify()


def test_admin_sees_the_log_and_verifies(sealed_log, admin_user):
    browser = logged_in(admin_user)
    page = browser.get("/privacy/audit/")
    assert page.status_code == 200 and "Dr Tess" in page.content.decode()
    response = browser.post("/privacy/audit/verify/", follow=True)
    assert "intact" in response.content.decode()


def test_only_admins_see_the_audit_log(sealed_log, their_therapist, client_user):
    assert logged_in(their_therapist).get("/privacy/audit/").status_code == 403
    assert logged_in(client_user).get("/privacy/audit/").status_code == 403


def test_client_sees_who_opened_their_record(
    sealed_log, client_user, other_therapist, jurisdiction
):
    page = logged_in(client_user).get("/privacy/who-opened-my-record/").content.decode()
    assert page.count("Dr Tess") == 5
    from tests.conftest import make_client

    stranger = make_client("stranger@example.org", jurisdiction)
    assert (
        "Dr Tess" not in logged_in(stranger).get("/privacy/who-opened-my-record/").content.decode()
    )
