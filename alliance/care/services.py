"""Writes for partnerships. Matching and switching (care/switching.py) build on these."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care import lifecycle
from alliance.care.models import CaseNote, Partnership
from alliance.core.errors import DomainError


def bump_index_version() -> None:
    from alliance.care.match_index import bump_index_version as bump

    bump()


class PartnershipError(DomainError):
    """A partnership cannot start or change as asked."""


@transaction.atomic
def start_partnership(*, client: User, therapist: User) -> Partnership:
    if not client.is_client or not therapist.is_therapist:
        raise PartnershipError("a partnership joins one client with one therapist")
    if Partnership.objects.filter(client=client, status=Partnership.Status.ACTIVE).exists():
        raise PartnershipError("this client already has an active partnership")
    previous = (
        Partnership.objects.filter(client=client, status=Partnership.Status.ENDED)
        .order_by("-ended_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    partnership = Partnership.objects.create(
        client=client, therapist=therapist, started_at=timezone.now()
    )
    # Capacity changed: every worker's matching index must rebuild.
    bump_index_version()
    lifecycle.publish(
        lifecycle.PartnershipStarted(
            partnership_id=partnership.pk,
            client_id=client.pk,
            therapist_id=therapist.pk,
            previous_id=previous,
        )
    )
    return partnership


@transaction.atomic
def end_partnership(
    *,
    partnership: Partnership,
    reason: str,
    by: User | None = None,
    switch_reason: str = "",
    switch_handoff: bool = False,
) -> Partnership:
    """End a partnership, whichever way it ends, and have every part answer it
    (care/lifecycle.py) in this transaction."""
    if reason not in Partnership.EndReason.values:
        raise PartnershipError(f"unknown end reason {reason!r}")
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if not locked.is_active:
        raise PartnershipError("this partnership has already ended")
    locked.status = Partnership.Status.ENDED
    locked.ended_at = timezone.now()
    locked.end_reason = reason
    locked.switch_reason = switch_reason
    locked.switch_handoff = switch_handoff
    locked.save(
        update_fields=["status", "ended_at", "end_reason", "switch_reason", "switch_handoff"]
    )
    bump_index_version()
    lifecycle.publish(
        lifecycle.PartnershipEnded(
            partnership_id=locked.pk,
            client_id=locked.client_id,
            therapist_id=locked.therapist_id,
            reason=reason,
            ended_at=locked.ended_at,
            by_id=by.pk if by is not None else None,
        )
    )
    return locked


NOTE_MAX_CHARS = 20_000


@transaction.atomic
def add_case_note(*, partnership: Partnership, author: User, text: str) -> CaseNote:
    text = text.strip()
    if not text:
        raise PartnershipError("a note cannot be empty")
    if len(text) > NOTE_MAX_CHARS:
        raise PartnershipError(f"a note can be at most {NOTE_MAX_CHARS} characters")
    if author.pk != partnership.therapist_id or not partnership.is_active:
        raise PartnershipError("only the client's current therapist can add notes")
    return CaseNote.objects.create(partnership=partnership, author=author, text=text)
