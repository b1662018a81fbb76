"""The break-glass reason is clinical text: sealed with the client's data key at rest, shown
decrypted where the row is read, unreadable after the client's erasure; the audit chain keeps
verifying, and the migration seals reasons stored before without hiding any tampering."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from alliance.privacy import audit, chain, fields, keys, rights
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in, make_client

REASON = "Therapist unreachable; client called about safety"


def stored_reasons(action: str = "break_glass") -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reason FROM privacy_auditevent WHERE action = %s ORDER BY id", [action]
        )
        return [row[0] for row in cursor.fetchall()]


def break_glass(admin_user, client_user, reason: str = REASON):
    return logged_in(admin_user).post(
        "/privacy/break-glass/", {"client": client_user.email, "reason": reason}
    )


# --- at rest and where it is shown -------------------------------------------------------------


@pytest.mark.django_db
def test_the_reason_is_sealed_at_rest_with_the_clients_key(admin_user, partnership, client_user):
    assert break_glass(admin_user, client_user).status_code == 200
    (raw,) = stored_reasons()
    assert raw.startswith(fields.PREFIX) and "unreachable" not in raw
    key_id, _ = keys.key_for_owner(client_user.pk)
    assert raw.startswith(f"{fields.PREFIX}{key_id}:")


@pytest.mark.django_db
def test_the_reason_is_shown_decrypted_to_who_reads_the_log(admin_user, partnership, client_user):
    break_glass(admin_user, client_user)
    assert AuditEvent.objects.get(action="break_glass").reason == REASON
    assert REASON in logged_in(admin_user).get("/privacy/audit/").content.decode()
    page = logged_in(client_user).get("/privacy/who-opened-my-record/").content.decode()
    assert REASON in page
    export = logged_in(client_user).get("/privacy/settings/export.json").json()
    assert REASON in [row["reason"] for row in export["record_access_log"]]


@pytest.mark.django_db
def test_fixed_labels_stay_plain(admin_user, partnership, client_user):
    logged_in(client_user).get("/privacy/settings/export.json")
    assert stored_reasons("export") == ["client export (JSON)"]


@pytest.mark.django_db
def test_the_chain_covers_the_sealed_reason(admin_user, partnership, client_user):
    break_glass(admin_user, client_user)
    assert chain.seal(grace=timedelta(0)) == 1
    assert chain.verify().ok
    # a sealed reason swapped for another ciphertext is an edit like any other
    other = fields.encrypt("A different reason entirely", client_user.pk)
    AuditEvent.objects.filter(action="break_glass").update(reason=other)
    verdict = chain.verify()
    assert not verdict.ok and any("was changed" in p for p in verdict.problems)


@pytest.mark.django_db
def test_after_erasure_the_reason_is_unreadable_and_the_chain_still_verifies(
    admin_user, partnership, client_user
):
    # given a break-glass row, sealed into the chain
    break_glass(admin_user, client_user)
    chain.seal(grace=timedelta(0))
    before = stored_reasons()
    # when the client is erased
    rights.erase_client(user=client_user, actor=client_user)
    keys.forget()
    # then the reason reads as erased everywhere, the ciphertext is untouched, the chain holds
    assert AuditEvent.objects.get(action="break_glass").reason == fields.UNREADABLE
    page = logged_in(admin_user).get("/privacy/audit/").content.decode()
    assert REASON not in page and fields.UNREADABLE in page
    assert stored_reasons() == before
    chain.seal(grace=timedelta(0))
    assert chain.verify().ok


@pytest.mark.django_db
def test_breaking_glass_into_an_erased_record_is_refused(admin_user, partnership, client_user):
    rights.erase_client(user=client_user, actor=client_user)
    client_user.refresh_from_db()
    response = break_glass(admin_user, client_user)
    assert response.status_code == 400
    assert "record was erased" in response.content.decode()
    assert not AuditEvent.objects.filter(action="break_glass").exists()


@pytest.mark.django_db
def test_a_client_id_past_the_integer_range_matches_no_one(admin_user, db):
    response = logged_in(admin_user).post(
        "/privacy/break-glass/", {"client": "9" * 30, "reason": "A long enough reason here"}
    )
    assert response.status_code == 400
    assert "No client matches" in response.content.decode()


@pytest.mark.django_db
def test_a_plain_reason_cannot_pose_as_a_sealed_one(admin_user, client_user):
    with pytest.raises(ValueError, match="cannot start with"):
        audit.record(admin_user, audit.Action.OPEN_RECORD, client_user, reason="ck1:1:forged")
    assert not AuditEvent.objects.exists()


# --- the migration that seals reasons stored before ------------------------------------------

BEFORE = ("privacy", "0004_key_the_audit_chain")
SEALING = ("privacy", "0005_seal_break_glass_reasons")


def migrate(targets: list[tuple[str, str]]) -> object:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_log(transactional_db, admin_user, client_user, jurisdiction, settings, tmp_path):
    """The log as it was before reasons were sealed: plain break-glass reasons (one of an
    erased client), in two sealed blocks and an unsealed tail."""
    settings.AUDIT_HEAD_FILE = str(tmp_path / "heads.log")
    erased = make_client("erased.client@example.org", jurisdiction, name="Eve")
    keys.key_for_owner(erased.pk)
    keys.destroy_key(erased.pk)
    apps = migrate([BEFORE])
    Event = apps.get_model("privacy", "AuditEvent")

    def row(action: str, client_id: int, reason: str = "") -> int:
        event = Event.objects.create(
            actor_id=admin_user.pk,
            actor_role="admin",
            action=action,
            object_type="accounts.user",
            object_id=str(client_id),
            client_id=client_id,
            reason=reason,
        )
        Event.objects.filter(pk=event.pk).update(mac=chain.row_mac(chain.stored_row(event.pk)))
        return int(event.pk)

    later = timezone.now() + timedelta(seconds=10)
    ids = {
        "opened": row("open_record", client_user.pk),
        "glass": row("break_glass", client_user.pk, REASON),
        "erased": row("break_glass", erased.pk, "Reason about the erased client"),
        "export": row("export", client_user.pk, "client export (JSON)"),
    }
    chain.seal(now=later, grace=timedelta(0))
    ids["after"] = row("open_record", client_user.pk)
    chain.seal(now=later, grace=timedelta(0))
    ids["tail"] = row("break_glass", client_user.pk, "A second reason, not sealed yet")
    assert chain.verify().ok
    yield ids
    migrate_to_latest()


def raw_reason(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM privacy_auditevent WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_the_migration_seals_old_reasons_and_the_chain_verifies(old_log, settings):
    migrate([SEALING])
    keys.forget()
    for name in ("glass", "tail"):
        assert raw_reason(old_log[name]).startswith(fields.PREFIX)
    assert "unreachable" not in raw_reason(old_log["glass"])
    assert AuditEvent.objects.get(pk=old_log["glass"]).reason == REASON
    assert AuditEvent.objects.get(pk=old_log["tail"]).reason == "A second reason, not sealed yet"
    assert raw_reason(old_log["erased"]) == fields.UNREADABLE  # an erased client's words go
    assert raw_reason(old_log["export"]) == "client export (JSON)"
    verdict = chain.verify()
    assert verdict.ok, verdict.problems
    assert verdict.blocks == 2
    # the new head is published, and verifying against it passes
    head = chain.read_head_file(settings.AUDIT_HEAD_FILE)
    assert head.seq == 2 and chain.verify(anchor=head).ok


def test_the_migration_can_be_undone(old_log):
    migrate([SEALING])
    migrate([BEFORE])
    keys.forget()
    assert raw_reason(old_log["glass"]) == REASON
    assert chain.verify().ok


def test_the_migration_does_not_hide_an_earlier_edit(old_log):
    # given a row of the second block edited behind the chain's back
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE privacy_auditevent SET actor_id = 999 WHERE id = %s", [old_log["after"]]
        )
    # when the migration re-seals the blocks
    migrate([SEALING])
    # then the edit is still reported, and the first block verifies
    problems = chain.verify().problems
    assert f"row {old_log['after']}: was changed after it was written" in problems
    assert any(p.startswith("block 2:") and "were changed" in p for p in problems)
    assert not any(p.startswith("block 1:") for p in problems)


def test_the_migration_does_not_hide_an_edited_reason(old_log):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE privacy_auditevent SET reason = 'A softer reason' WHERE id = %s",
            [old_log["glass"]],
        )
    migrate([SEALING])
    keys.forget()
    assert AuditEvent.objects.get(pk=old_log["glass"]).reason == "A softer reason"
    problems = chain.verify().problems
    assert f"row {old_log['glass']}: was changed after it was written" in problems
    assert any(p.startswith("block 1:") and "were changed" in p for p in problems)


def test_the_head_file_is_left_alone_when_nothing_is_sealed(transactional_db, settings, tmp_path):
    settings.AUDIT_HEAD_FILE = str(tmp_path / "heads.log")
    try:
        migrate([BEFORE])
        migrate([SEALING])
    finally:
        migrate_to_latest()
    assert not Path(settings.AUDIT_HEAD_FILE).exists()
