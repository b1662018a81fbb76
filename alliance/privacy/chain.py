"""A keyed, tamper-evident chain over the audit log, anchored outside the database.

Threat: someone who can write to the database (a stolen dump restored, a compromised
database account, a careless operator) but does not hold the master keys. Three layers:

- **Each row carries an HMAC** (`row_mac`), written with the row (`audit.record`), so an edit
  is detectable from the moment the row exists, not only once it is sealed.
- **Blocks.** Every few seconds (`GRACE`; the worker's sealing loop) the rows older than the
  grace period are sealed into a block: the hash of its rows, chained to the previous block,
  and the block's own hash is an HMAC. Deleting, inserting or reordering sealed rows, or
  rewriting a block, breaks a MAC that only the key holder can recompute. The grace period is
  there so that a transaction which took an id earlier but committed later is not left out of
  its block.
- **The head outside the database.** A database writer can still delete the newest rows and
  blocks, or delete a row and let the (keyed) worker re-seal what is left. So each new head
  (sequence number and block hash) is written to the log and, when `AUDIT_HEAD_FILE` is set,
  appended to that file; `alliance audit head` prints it for export, and
  `alliance audit verify --head SEQ:HASH` (or `--head-file`) checks the chain against it.

The audit key is derived from the master keys (HKDF-SHA256), one per master key, so rotating
master keys keeps older blocks verifiable while the old key is still listed. Blocks sealed by
the first, unkeyed version of the chain (`key_id` empty) are still checked with plain
SHA-256 and reported as such. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from alliance.privacy.models import AuditBlock, AuditEvent

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
GRACE = timedelta(seconds=5)
MAX_BLOCK = 10_000
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "client_id",
    "reason",
)
_TEXT_FIELDS = ("actor_role", "action", "object_type", "object_id", "reason")
_INFO = b"alliance audit chain v1"


@cache
def _keys(master_keys: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    out = []
    for master in master_keys:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            master.encode()
        )
        out.append((hashlib.sha256(key).hexdigest()[:16], key))
    return tuple(out)


def audit_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) per configured master key, the current one first."""
    keys = _keys(tuple(settings.MASTER_KEYS))
    if not keys:
        raise RuntimeError("the audit chain needs ALLIANCE_MASTER_KEYS")
    return keys


def _key(key_id: str) -> bytes | None:
    return dict(audit_keys()).get(key_id)


def row_digest(row: dict[str, object]) -> bytes:
    canonical = {name: row[name] for name in FIELDS}
    canonical["at"] = row["at"].isoformat()  # type: ignore[attr-defined]
    return json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()


def row_mac(row: dict[str, object], key: bytes | None = None) -> str:
    """The row's HMAC under the current audit key (prefixed by nothing: one key verifies)."""
    key = key if key is not None else audit_keys()[0][1]
    return hmac.new(key, row_digest(row), hashlib.sha256).hexdigest()


def _row_mac_ok(row: dict[str, object], mac: str) -> bool:
    return any(hmac.compare_digest(row_mac(row, key), mac) for _, key in audit_keys())


def events_hash(rows: list[dict[str, object]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(hashlib.sha256(row_digest(row)).digest())
    return digest.hexdigest()


def block_hash(
    *, seq: int, first: int, last: int, count: int, events: str, prev: str, key: bytes | None
) -> str:
    """The block's MAC; `key=None` is the unkeyed SHA-256 of blocks sealed before keying."""
    body = f"{seq}|{first}|{last}|{count}|{events}|{prev}".encode()
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _rows(first: int, last: int | None = None) -> list[dict[str, object]]:
    """Rows as stored: each column's stored value (a field that decrypts on read, such as an
    encrypted reason, is read as its ciphertext, so an erasure never changes a digest)."""
    found = AuditEvent.objects.filter(id__gte=first)
    if last is not None:
        found = found.filter(id__lte=last)
    stored = {name: Cast(name, output_field=models.TextField()) for name in _TEXT_FIELDS}
    rows = found.order_by("id").annotate(**{f"stored_{k}": v for k, v in stored.items()})
    out = []
    for row in rows.values(
        *(f for f in FIELDS if f not in stored), *(f"stored_{k}" for k in stored), "mac"
    ):
        for name in stored:
            row[name] = row.pop(f"stored_{name}")
        out.append(row)
    return out


def stored_row(event_id: int) -> dict[str, object]:
    return _rows(event_id, event_id)[0]


@dataclass(frozen=True)
class Head:
    seq: int
    block_hash: str
    sealed_at: str

    def line(self) -> str:
        return json.dumps(
            {"seq": self.seq, "block_hash": self.block_hash, "sealed_at": self.sealed_at},
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str) -> Head:
        """`SEQ:HASH` or one JSON line as `line()` writes it; ValueError when neither."""
        text = text.strip()
        try:
            if text.startswith("{"):
                data = json.loads(text)
                seq, block = int(data["seq"]), str(data["block_hash"])
                sealed = str(data.get("sealed_at", ""))
            else:
                raw_seq, block = text.split(":", 1)
                seq, sealed = int(raw_seq), ""
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                "a head is SEQ:HASH or a JSON line from `alliance audit head`"
            ) from exc
        if seq < 1 or len(block) != 64 or any(c not in "0123456789abcdef" for c in block):
            raise ValueError("a head is SEQ:HASH with a 64-character hex hash")
        return cls(seq, block, sealed)


def head() -> Head | None:
    last = AuditBlock.objects.order_by("-seq").first()
    if last is None:
        return None
    return Head(last.seq, last.block_hash, last.sealed_at.isoformat())


def _publish(new_head: Head) -> None:
    """Write the new head where a database writer cannot reach: the log, and the head file."""
    logger.info("audit chain head %s", new_head.line())
    path = getattr(settings, "AUDIT_HEAD_FILE", "")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(new_head.line() + "\n")
        out.flush()
        os.fsync(out.fileno())


def seal(*, now: object = None, grace: timedelta = GRACE) -> int:
    """Seal the rows older than the grace period into new blocks. Returns blocks written."""
    written = 0
    cutoff = (now or timezone.now()) - grace  # type: ignore[operator]
    key_id, key = audit_keys()[0]
    while True:
        last_block = AuditBlock.objects.order_by("-seq").first()
        after = last_block.last_event_id if last_block else 0
        ids = list(
            AuditEvent.objects.filter(id__gt=after, at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:MAX_BLOCK]
        )
        if not ids:
            break
        rows = _rows(after + 1, ids[-1])
        seq = (last_block.seq + 1) if last_block else 1
        prev = last_block.block_hash if last_block else GENESIS
        events = events_hash(rows)
        try:
            with transaction.atomic():
                block = AuditBlock.objects.create(
                    seq=seq,
                    first_event_id=after + 1,
                    last_event_id=ids[-1],
                    event_count=len(rows),
                    events_hash=events,
                    prev_hash=prev,
                    key_id=key_id,
                    block_hash=block_hash(
                        seq=seq,
                        first=after + 1,
                        last=ids[-1],
                        count=len(rows),
                        events=events,
                        prev=prev,
                        key=key,
                    ),
                )
        except IntegrityError:
            continue  # another worker sealed this block first; look again
        written += 1
    if written:
        _publish(Head(block.seq, block.block_hash, block.sealed_at.isoformat()))
    return written


@dataclass(frozen=True)
class Verdict:
    ok: bool
    blocks: int
    events: int
    head: str
    problems: tuple[str, ...]
    unkeyed_blocks: int = 0
    unsealed_events: int = 0
    head_seq: int = 0


def _check_rows(rows: list[dict[str, object]], problems: list[str]) -> None:
    for row in rows:
        mac = str(row.get("mac") or "")
        if not mac:
            problems.append(f"row {row['id']}: has no MAC (written without the audit key)")
        elif not _row_mac_ok(row, mac):
            problems.append(f"row {row['id']}: was changed after it was written")


def verify(anchor: Head | None = None) -> Verdict:
    """Check every block and every row; with `anchor` (an exported head) also check that the
    chain still holds that block unchanged, so a truncation or a re-seal after a rewrite shows."""
    problems: list[str] = []
    prev = GENESIS
    expected_first = 1
    events = 0
    unkeyed = 0
    keyed_seen = False
    blocks = list(AuditBlock.objects.order_by("seq"))
    for index, block in enumerate(blocks, start=1):
        _check_links(block, index, prev, expected_first, problems)
        rows = _rows(block.first_event_id, block.last_event_id)
        _check_contents(block, rows, problems)
        if block.key_id:
            keyed_seen = True
            key = _key(block.key_id)
            if key is None:
                problems.append(
                    f"block {block.seq}: sealed with audit key {block.key_id}, which no "
                    "configured master key gives"
                )
        else:
            key = None
            unkeyed += 1
            if keyed_seen:
                problems.append(f"block {block.seq}: unkeyed after keyed blocks (forged)")
        _check_rows(rows, problems)
        if block.key_id == "" or key is not None:
            _check_block_hash(block, key, problems)
        prev = block.block_hash
        expected_first = block.last_event_id + 1
        events += len(rows)
    tail = _rows(expected_first)  # not sealed yet: their MACs still tell an edit
    _check_rows(tail, problems)
    if anchor is not None:
        _check_anchor(anchor, blocks, problems)
    return Verdict(
        ok=not problems,
        blocks=len(blocks),
        events=events,
        head=prev,
        problems=tuple(problems),
        unkeyed_blocks=unkeyed,
        unsealed_events=len(tail),
        head_seq=len(blocks),
    )


def _check_links(
    block: AuditBlock, index: int, prev: str, expected_first: int, problems: list[str]
) -> None:
    """The block is the next one: its sequence number, the hash it chains to, its first row."""
    if block.seq != index:
        problems.append(f"block {block.seq}: expected sequence number {index} (a block is missing)")
    if block.prev_hash != prev:
        problems.append(f"block {block.seq}: does not chain to the previous block")
    if block.first_event_id != expected_first:
        problems.append(
            f"block {block.seq}: starts at row {block.first_event_id}, expected {expected_first}"
        )


def _check_contents(block: AuditBlock, rows: list[dict[str, object]], problems: list[str]) -> None:
    """The block's rows are the ones it was sealed with: as many, and unchanged."""
    if len(rows) != block.event_count:
        problems.append(
            f"block {block.seq}: holds {len(rows)} rows, sealed with {block.event_count} "
            "(rows were deleted or inserted)"
        )
    if events_hash(rows) != block.events_hash:
        problems.append(
            f"block {block.seq}: rows {block.first_event_id}–{block.last_event_id} were changed"
        )


def _check_block_hash(block: AuditBlock, key: bytes | None, problems: list[str]) -> None:
    """The block record itself is as sealed: its MAC (or unkeyed hash) recomputes."""
    recomputed = block_hash(
        seq=block.seq,
        first=block.first_event_id,
        last=block.last_event_id,
        count=block.event_count,
        events=block.events_hash,
        prev=block.prev_hash,
        key=key,
    )
    if not hmac.compare_digest(recomputed, block.block_hash):
        problems.append(f"block {block.seq}: the block record itself was changed")


def _check_anchor(anchor: Head, blocks: list[AuditBlock], problems: list[str]) -> None:
    """The chain still holds the exported head's block, unchanged."""
    held = next((b for b in blocks if b.seq == anchor.seq), None)
    if held is None:
        problems.append(
            f"the exported head is block {anchor.seq}, which the chain no longer holds "
            f"(it ends at block {len(blocks)}): the newest blocks were removed"
        )
    elif not hmac.compare_digest(held.block_hash, anchor.block_hash):
        problems.append(
            f"block {anchor.seq} differs from the exported head: the chain was rewritten "
            "and sealed again"
        )


def read_head_file(path: str) -> Head:
    """The newest head written to a head file (its last non-empty line)."""
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path} holds no head")
    return Head.parse(lines[-1])
