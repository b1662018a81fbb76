from __future__ import annotations

from django.conf import settings
from django.db import models

from alliance.privacy.fields import SealableTextField


class ClientKey(models.Model):
    """A client's data key, stored only wrapped by the master keys.

    Erasing a client deletes this row: every ciphertext written with it becomes unreadable
    (crypto-shredding), including copies in backups older than the erasure.
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="data_key"
    )
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key {self.pk}"


class AuditEvent(models.Model):
    """One row per clinical record opened, exported or broken into.

    Holds ids only: never names or clinical text, so the log itself is not clinical data.
    """

    class Action(models.TextChoices):
        OPEN_RECORD = "open_record", "opened a record"
        EXPORT = "export", "exported"
        BREAK_GLASS = "break_glass", "broke glass"
        VERIFY_LICENCE = "verify_licence", "verified a licence"
        ERASE = "erase", "erased"
        ROTATE_KEYS = "rotate_keys", "rotated keys"
        CORRECT_SCORE = "correct_score", "corrected a score"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    client_id = models.BigIntegerField(null=True, db_index=True)
    # A fixed label ("conversation", "client export (JSON)") in plain text, or a person's own
    # words (a break-glass reason, at most 500 characters) sealed with the client's data key,
    # like other clinical text: readable where the row is shown, unreadable after erasure.
    # The chain (privacy/chain.py) covers the stored ciphertext, so erasure changes no MAC.
    reason = SealableTextField(blank=True)
    # HMAC of the row under the audit key (privacy/chain.py), written with the row: a database
    # writer without the key cannot edit a row unnoticed, even before it is sealed in a block.
    # Empty on rows written before rows were keyed.
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["client_id", "at"], name="audit_client_at")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.object_type}:{self.object_id}"


class AuditBlock(models.Model):
    """A sealed run of audit rows: the hash of its rows, chained to the previous block.

    Sealing happens in blocks, after the fact (`alliance audit seal`, every minute by the
    worker), so writing an audit row never waits on a chain. Editing, deleting, inserting or
    reordering any sealed row changes a block hash that `alliance audit verify` recomputes.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField()
    event_count = models.PositiveIntegerField()
    events_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    block_hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField(auto_now_add=True)
    # Which audit key sealed the block (a fingerprint, never the key); empty for blocks sealed
    # with the unkeyed SHA-256 of the first chain.
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"audit block {self.seq}"
