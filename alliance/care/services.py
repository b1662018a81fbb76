"""Writes for partnerships. Matching and switching (care/switching.py) build on these."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Partnership


class PartnershipError(ValueError):
    pass


@transaction.atomic
def start_partnership(*, client: User, therapist: User) -> Partnership:
    if not client.is_client or not therapist.is_therapist:
        raise PartnershipError("a partnership joins one client with one therapist")
    if Partnership.objects.filter(client=client, status=Partnership.Status.ACTIVE).exists():
        raise PartnershipError("this client already has an active partnership")
    return Partnership.objects.create(client=client, therapist=therapist, started_at=timezone.now())


@transaction.atomic
def end_partnership(*, partnership: Partnership, reason: str) -> Partnership:
    if reason not in Partnership.EndReason.values:
        raise PartnershipError(f"unknown end reason {reason!r}")
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if not locked.is_active:
        raise PartnershipError("this partnership has already ended")
    locked.status = Partnership.Status.ENDED
    locked.ended_at = timezone.now()
    locked.end_reason = reason
    locked.save(update_fields=["status", "ended_at", "end_reason"])
    return locked
