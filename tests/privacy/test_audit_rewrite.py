"""A database writer without the master keys cannot rewrite the audit log unnoticed: rows
carry a keyed MAC from the moment they are written, blocks are keyed, and the head kept
outside the database shows a truncation or a re-seal after a rewrite."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from alliance.privacy import chain
from alliance.privacy.models import AuditBlock, AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def open_record(partnership, therapist, times: int = 1) -> None:
    browser = logged_in(therapist)
    for _ in range(times):
        browser.get(f"/care/partnerships/{partnership.pk}/")


@pytest.fixture
def exported(partnership, their_therapist, tmp_path):
    """Three sealed blocks, each head appended to a head file outside the database."""
    head_file = tmp_path / "audit-heads.log"
    with override_settings(AUDIT_HEAD_FILE=str(head_file)):
        for _ in range(3):
            open_record(partnership, their_therapist, times=2)
            assert chain.seal(grace=timedelta(0)) == 1
    lines = head_file.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[-1])["seq"] == 3
    return head_file


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=out)
    return out.getvalue()


def failure(*args: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="FAILED"):
        call_command("audit", "verify", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_the_intact_log_verifies_against_its_exported_head(exported):
    out = verify("--head-file", str(exported))
    assert "audit log OK: 3 block(s), 6 sealed row(s)" in out
    assert "checked against the exported head (block 3)" in out
    head = chain.head()
    assert verify("--head", f"{head.seq}:{head.block_hash}").startswith("audit log OK")


def test_an_updated_row_is_detected(exported):
    row = AuditEvent.objects.order_by("id")[1]
    AuditEvent.objects.filter(pk=row.pk).update(object_id="999")
    assert f"row {row.pk}: was changed" in failure()


def test_an_unsealed_row_edited_in_its_first_seconds_is_detected(partnership, their_therapist):
    open_record(partnership, their_therapist)
    assert chain.seal() == 0  # still inside the grace period: not in any block yet
    row = AuditEvent.objects.get()
    AuditEvent.objects.filter(pk=row.pk).update(actor_id=424242)
    assert f"row {row.pk}: was changed" in failure()


def test_a_row_inserted_without_the_key_is_detected(exported):
    AuditEvent.objects.create(
        actor_role="therapist", action="open_record", object_type="care.partnership", object_id="1"
    )
    assert "has no MAC" in failure()


def test_a_rewrite_resealed_with_plain_hashes_is_detected(exported):
    # An attacker edits a row, deletes the blocks from it on and seals again with the
    # chain's public algorithm, but without the key.
    first = AuditBlock.objects.get(seq=2)
    row = AuditEvent.objects.filter(id__gte=first.first_event_id).order_by("id").first()
    AuditEvent.objects.filter(pk=row.pk).update(object_id="999")
    AuditBlock.objects.filter(seq__gte=2).delete()
    prev = AuditBlock.objects.get(seq=1).block_hash
    rows = chain._rows(first.first_event_id)
    for r in rows:  # forge the row MACs with a guessed key
        AuditEvent.objects.filter(pk=r["id"]).update(
            mac=chain.row_mac(r, hashlib.sha256(b"guess").digest())
        )
    events = chain.events_hash(chain._rows(first.first_event_id))
    last = rows[-1]["id"]
    AuditBlock.objects.create(
        seq=2,
        first_event_id=first.first_event_id,
        last_event_id=last,
        event_count=len(rows),
        events_hash=events,
        prev_hash=prev,
        key_id=first.key_id,
        block_hash=hashlib.sha256(f"2|{first.first_event_id}|{last}".encode()).hexdigest(),
    )
    problems = failure("--head-file", str(exported))
    assert "the block record itself was changed" in problems
    assert "was changed after it was written" in problems
    assert "block 3, which the chain no longer holds" in problems


def test_a_deletion_resealed_by_the_worker_is_detected_against_the_head(exported):
    # The worker holds the key: deleting a row and the blocks after it, then letting it
    # seal again, gives a chain that is consistent in itself ...
    second = AuditBlock.objects.get(seq=2)
    AuditEvent.objects.filter(pk=second.first_event_id).delete()
    AuditBlock.objects.filter(seq__gte=2).delete()
    assert chain.seal(grace=timedelta(0)) == 1
    assert verify().startswith("audit log OK")
    # ... but not with the head exported before the rewrite.
    problems = failure("--head-file", str(exported))
    assert "block 3, which the chain no longer holds" in problems


def test_a_truncation_of_the_newest_blocks_is_detected_against_the_head(exported):
    newest = AuditBlock.objects.get(seq=3)
    AuditEvent.objects.filter(id__gte=newest.first_event_id).delete()
    newest.delete()
    assert verify().startswith("audit log OK")  # nothing left inside says so ...
    assert "no longer holds" in failure("--head-file", str(exported))  # ... the head does


def test_a_resealed_block_with_another_hash_is_detected(exported):
    # Rewrite the newest block only: same sequence number, different content and hash.
    newest = AuditBlock.objects.get(seq=3)
    AuditEvent.objects.filter(pk=newest.last_event_id).delete()
    newest.delete()
    with override_settings(AUDIT_HEAD_FILE=""):
        assert chain.seal(grace=timedelta(0)) == 1
    assert "block 3 differs from the exported head" in failure("--head-file", str(exported))


def test_blocks_are_keyed_by_the_master_keys(exported, settings):
    block = AuditBlock.objects.get(seq=1)
    assert block.key_id == chain.audit_keys()[0][0]
    # A key rotation keeps old blocks verifiable while the old master key is listed ...
    from cryptography.fernet import Fernet

    settings.MASTER_KEYS = [Fernet.generate_key().decode(), *settings.MASTER_KEYS]
    assert verify().startswith("audit log OK")
    # ... and without it the blocks cannot be checked, which is reported, not passed.
    settings.MASTER_KEYS = settings.MASTER_KEYS[:1]
    assert "which no configured master key gives" in failure()


def test_the_head_command_prints_what_verify_accepts(exported):
    out = StringIO()
    call_command("audit", "head", stdout=out)
    line = out.getvalue().strip()
    assert json.loads(line)["seq"] == 3
    assert verify("--head", line).startswith("audit log OK")


def test_a_malformed_head_is_refused_with_a_clear_error(exported):
    with pytest.raises(CommandError, match="cannot read the exported head"):
        verify("--head", "3:nothex")


def test_admin_verifies_against_a_pasted_head(exported, admin_user):
    head = chain.head()
    browser = logged_in(admin_user)
    ok = browser.post(
        "/privacy/audit/verify/", {"head": f"{head.seq}:{head.block_hash}"}, follow=True
    )
    assert "still holds the exported head" in ok.content.decode()
    AuditBlock.objects.filter(seq=3).delete()
    bad = browser.post(
        "/privacy/audit/verify/", {"head": f"{head.seq}:{head.block_hash}"}, follow=True
    )
    assert "tampered" in bad.content.decode()
    junk = browser.post("/privacy/audit/verify/", {"head": "nonsense"}, follow=True)
    assert junk.status_code == 200 and "SEQ:HASH" in junk.content.decode()
