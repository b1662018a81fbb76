"""The sliding scale: a client applies for an income-based tier, an admin decides.

Until an admin approves, the client pays the full fee (or their earlier approved tier's);
an approval ends the earlier approval, so at most one tier applies (the database holds at
most one pending and one approved application per client). Fees already charged keep the
tier they had.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing.errors import BillingError
from alliance.billing.models import SlidingScaleApplication, SlidingScaleTier


@transaction.atomic
def apply(
    *, client: User, tier: SlidingScaleTier, stated_income_minor: int | None
) -> SlidingScaleApplication:
    if not client.is_client:
        raise BillingError(_("Only a client can apply for the sliding scale."))
    if not tier.active:
        raise BillingError(_("That tier is no longer offered."))
    if stated_income_minor is not None and stated_income_minor < 0:
        raise BillingError(_("Income cannot be negative."))
    pending = SlidingScaleApplication.objects.filter(
        client=client, status=SlidingScaleApplication.Status.PENDING
    )
    if pending.exists():
        raise BillingError(_("You have already applied; the practice will decide soon."))
    approved = SlidingScaleApplication.objects.filter(
        client=client, status=SlidingScaleApplication.Status.APPROVED
    ).first()
    if approved is not None and approved.tier_id == tier.pk:
        raise BillingError(_("That tier already applies to you."))
    try:
        with transaction.atomic():
            return SlidingScaleApplication.objects.create(
                client=client, tier=tier, stated_income_minor=stated_income_minor
            )
    except IntegrityError:
        raise BillingError(_("You have already applied; the practice will decide soon.")) from None


@transaction.atomic
def decide(
    *, application: SlidingScaleApplication, approve: bool, by: User
) -> SlidingScaleApplication:
    if not by.is_practice_admin:
        raise BillingError(_("Only the practice's admin decides on the sliding scale."))
    locked = SlidingScaleApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != SlidingScaleApplication.Status.PENDING:
        raise BillingError(_("This application has already been decided."))
    locked.status = (
        SlidingScaleApplication.Status.APPROVED
        if approve
        else SlidingScaleApplication.Status.REFUSED
    )
    if approve:
        # The earlier approval, if any, ends: one tier applies at a time.
        SlidingScaleApplication.objects.filter(
            client_id=locked.client_id, status=SlidingScaleApplication.Status.APPROVED
        ).update(status=SlidingScaleApplication.Status.ENDED)
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    return locked
