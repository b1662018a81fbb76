"""A tamper-evident hash chain over the audit log, sealed in blocks.

Each block hashes its rows in id order (every column, canonically serialised) and chains to
the previous block's hash. Rows are sealed only once they are older than `GRACE`, so a
transaction that took an id earlier but committed later is not left out of its block.
Anchor the newest block hash outside the database (it is printed by `alliance audit verify`)
to detect a truncation of the newest blocks as well.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.privacy.models import AuditBlock, AuditEvent

GENESIS = "0" * 64
GRACE = timedelta(seconds=60)
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


def row_digest(row: dict[str, object]) -> bytes:
    canonical = {name: row[name] for name in FIELDS}
    canonical["at"] = row["at"].isoformat()  # type: ignore[attr-defined]
    return json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()


def events_hash(rows: list[dict[str, object]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(hashlib.sha256(row_digest(row)).digest())
    return digest.hexdigest()


def block_hash(*, seq: int, first: int, last: int, count: int, events: str, prev: str) -> str:
    body = f"{seq}|{first}|{last}|{count}|{events}|{prev}".encode()
    return hashlib.sha256(body).hexdigest()


def _rows(first: int, last: int) -> list[dict[str, object]]:
    return list(
        AuditEvent.objects.filter(id__gte=first, id__lte=last).order_by("id").values(*FIELDS)
    )


def seal(*, now: object = None, grace: timedelta = GRACE) -> int:
    """Seal the rows older than the grace period into new blocks. Returns blocks written."""
    written = 0
    cutoff = (now or timezone.now()) - grace  # type: ignore[operator]
    while True:
        last_block = AuditBlock.objects.order_by("-seq").first()
        after = last_block.last_event_id if last_block else 0
        ids = list(
            AuditEvent.objects.filter(id__gt=after, at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:MAX_BLOCK]
        )
        if not ids:
            return written
        rows = _rows(after + 1, ids[-1])
        seq = (last_block.seq + 1) if last_block else 1
        prev = last_block.block_hash if last_block else GENESIS
        events = events_hash(rows)
        try:
            with transaction.atomic():
                AuditBlock.objects.create(
                    seq=seq,
                    first_event_id=after + 1,
                    last_event_id=ids[-1],
                    event_count=len(rows),
                    events_hash=events,
                    prev_hash=prev,
                    block_hash=block_hash(
                        seq=seq,
                        first=after + 1,
                        last=ids[-1],
                        count=len(rows),
                        events=events,
                        prev=prev,
                    ),
                )
        except IntegrityError:
            continue  # another worker sealed this block first; look again
        written += 1


@dataclass(frozen=True)
class Verdict:
    ok: bool
    blocks: int
    events: int
    head: str
    problems: tuple[str, ...]


def verify() -> Verdict:
    problems: list[str] = []
    prev = GENESIS
    expected_first = 1
    events = 0
    blocks = list(AuditBlock.objects.order_by("seq"))
    for index, block in enumerate(blocks, start=1):
        if block.seq != index:
            problems.append(
                f"block {block.seq}: expected sequence number {index} (a block is missing)"
            )
        if block.prev_hash != prev:
            problems.append(f"block {block.seq}: does not chain to the previous block")
        if block.first_event_id != expected_first:
            problems.append(
                f"block {block.seq}: starts at row {block.first_event_id}, "
                f"expected {expected_first}"
            )
        rows = _rows(block.first_event_id, block.last_event_id)
        if len(rows) != block.event_count:
            problems.append(
                f"block {block.seq}: holds {len(rows)} rows, sealed with {block.event_count} "
                "(rows were deleted or inserted)"
            )
        if events_hash(rows) != block.events_hash:
            problems.append(
                f"block {block.seq}: rows {block.first_event_id}–{block.last_event_id} were changed"
            )
        recomputed = block_hash(
            seq=block.seq,
            first=block.first_event_id,
            last=block.last_event_id,
            count=block.event_count,
            events=block.events_hash,
            prev=block.prev_hash,
        )
        if recomputed != block.block_hash:
            problems.append(f"block {block.seq}: the block record itself was changed")
        prev = block.block_hash
        expected_first = block.last_event_id + 1
        events += len(rows)
    return Verdict(not problems, len(blocks), events, prev, tuple(problems))
