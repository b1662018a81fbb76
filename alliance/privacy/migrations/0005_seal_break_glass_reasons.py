"""Seal the break-glass reasons stored before they were encrypted: with the client's data key,
or replaced by the erased-text notice when that key is destroyed (as checkins 0003 did for
crisis phrases).

The audit chain covers each row's stored reason, so the rows changed here get a new MAC and
the blocks holding them are sealed again, each chained to the one before, and the new head is
published as sealing publishes it (the log and AUDIT_HEAD_FILE). Evidence is never laundered:
a row whose MAC did not verify before keeps its old MAC, and a block that did not verify
before (rows changed, removed or added, a broken link, an unknown key) is left as it was, so
`alliance audit verify` still reports it. Heads exported before this migration that name a
re-sealed block no longer match; export the new head (docs/security.md, "The audit chain").
"""

import hmac
import logging

from django.db import migrations, models
from django.db.models.functions import Cast

import alliance.privacy.fields

logger = logging.getLogger("alliance.privacy.chain")

TEXT_FIELDS = ("actor_role", "action", "object_type", "object_id", "reason")


def _rows(AuditEvent, first, last=None, **only):
    """Rows as stored (the reason as its ciphertext, never decrypted), as the chain reads them."""
    from alliance.privacy import chain

    found = AuditEvent.objects.filter(id__gte=first, **only)
    if last is not None:
        found = found.filter(id__lte=last)
    casts = {f"stored_{n}": Cast(n, output_field=models.TextField()) for n in TEXT_FIELDS}
    plain = [f for f in chain.FIELDS if f not in TEXT_FIELDS]
    out = []
    for row in found.order_by("id").annotate(**casts).values(*plain, *casts, "mac"):
        for name in TEXT_FIELDS:
            row[name] = row.pop(f"stored_{name}")
        out.append(row)
    return out


def _mac_ok(row, keys):
    from alliance.privacy import chain

    mac = str(row.get("mac") or "")
    return bool(mac) and any(hmac.compare_digest(chain.row_mac(row, k), mac) for _, k in keys)


def _block_ok(block, rows, prev, keys):
    from alliance.privacy import chain

    if block.prev_hash != prev or len(rows) != block.event_count:
        return False
    if chain.events_hash(rows) != block.events_hash:
        return False
    if block.key_id:
        key = dict(keys).get(block.key_id)
        if key is None:
            return False
    else:
        key = None
    recomputed = chain.block_hash(
        seq=block.seq,
        first=block.first_event_id,
        last=block.last_event_id,
        count=block.event_count,
        events=block.events_hash,
        prev=block.prev_hash,
        key=key,
    )
    return hmac.compare_digest(recomputed, block.block_hash)


def _rewrite(apps, change):
    """Apply `change(row, erased) -> new stored reason or None` to break-glass rows, keeping
    the chain verifiable where it verified."""
    from alliance.privacy import chain, fields

    AuditEvent = apps.get_model("privacy", "AuditEvent")
    AuditBlock = apps.get_model("privacy", "AuditBlock")
    ClientKey = apps.get_model("privacy", "ClientKey")
    erased = set(
        ClientKey.objects.filter(destroyed_at__isnull=False).values_list("owner_id", flat=True)
    ) | set(AuditEvent.objects.filter(action="erase").values_list("client_id", flat=True))
    changes = {}
    for row in _rows(AuditEvent, 0, action="break_glass"):
        new = change(row, erased)
        if new is not None and new != row["reason"]:
            changes[row["id"]] = new
    if not changes:
        return
    keys = chain.audit_keys()
    key_id, key = keys[0]

    def write(before):
        for row in before:
            if row["id"] not in changes:
                continue
            after = dict(row, reason=changes[row["id"]])
            mac = chain.row_mac(after, key) if _mac_ok(row, keys) else row["mac"]
            AuditEvent.objects.filter(pk=row["id"]).update(
                reason=fields.Ciphertext(changes[row["id"]]), mac=mac
            )

    first_changed = min(changes)
    earlier = AuditBlock.objects.filter(last_event_id__lt=first_changed).order_by("-seq").first()
    prev_old = prev_new = earlier.block_hash if earlier else chain.GENESIS
    last_sealed = earlier.last_event_id if earlier else 0
    newest = None
    for block in AuditBlock.objects.filter(seq__gt=earlier.seq if earlier else 0).order_by("seq"):
        before = _rows(AuditEvent, block.first_event_id, block.last_event_id)
        intact = _block_ok(block, before, prev_old, keys)
        write(before)
        prev_old = block.block_hash
        last_sealed = block.last_event_id
        if not intact:
            logger.warning("audit block %s did not verify; left as it was", block.seq)
            prev_new = block.block_hash
            continue
        after = [dict(r, reason=changes.get(r["id"], r["reason"])) for r in before]
        events = chain.events_hash(after)
        sealed = chain.block_hash(
            seq=block.seq,
            first=block.first_event_id,
            last=block.last_event_id,
            count=len(after),
            events=events,
            prev=prev_new,
            key=key,
        )
        AuditBlock.objects.filter(pk=block.pk).update(
            events_hash=events, prev_hash=prev_new, block_hash=sealed, key_id=key_id
        )
        prev_new = sealed
        newest = (block.seq, sealed, block.sealed_at)
    write(_rows(AuditEvent, last_sealed + 1))  # rows not sealed yet: their MACs only
    if newest is not None:
        seq, sealed, at = newest
        chain._publish(chain.Head(seq, sealed, at.isoformat()))


def _sealed(row, erased):
    from alliance.privacy import fields

    reason = row["reason"] or ""
    if not reason or reason.startswith(fields.PREFIX) or row["client_id"] is None:
        return None
    if row["client_id"] in erased:
        return fields.UNREADABLE  # an erased client's words are not kept
    return str(fields.encrypt(reason, row["client_id"]))


def _opened(row, erased):
    from alliance.privacy import fields

    reason = row["reason"] or ""
    if not reason.startswith(fields.PREFIX):
        return None
    return str(fields.decrypt(reason))[:500]


def seal(apps, schema_editor):
    _rewrite(apps, _sealed)


def unseal(apps, schema_editor):
    _rewrite(apps, _opened)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0004_key_the_audit_chain"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="reason",
            field=alliance.privacy.fields.SealableTextField(blank=True),
        ),
        migrations.RunPython(seal, unseal),
    ]
