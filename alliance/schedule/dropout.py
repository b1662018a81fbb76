"""The dropout rule applied to the schedule's records (the rule itself: care/ending.py).

The rule needs the last attended session and whether one is booked, which the schedule
holds; so the daily job that applies it lives here, above care, and ends each partnership
that meets it through care's one ending service.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from alliance.care.ending import DROPOUT_DAYS, DropoutStatus, dropout_deadline
from alliance.care.models import Partnership, PlannedEnding
from alliance.care.services import end_partnership
from alliance.schedule.queries import last_attended, next_appointments


def dropout_status(
    partnership_ids: list[int], *, now: dt.datetime | None = None
) -> dict[int, DropoutStatus]:
    """The rule's inputs for many active partnerships, in a few queries."""

    now = now or timezone.now()
    started = dict(
        Partnership.objects.filter(
            pk__in=partnership_ids, status=Partnership.Status.ACTIVE
        ).values_list("pk", "started_at")
    )
    attended = last_attended(started)
    upcoming = next_appointments(started, now=now)
    planned = set(
        PlannedEnding.objects.filter(partnership_id__in=started).values_list(
            "partnership_id", flat=True
        )
    )
    out = {}
    for pk, start in started.items():
        last = max(start, attended.get(pk, start))
        out[pk] = DropoutStatus(
            partnership_id=pk,
            last_contact=last,
            deadline=dropout_deadline(last),
            has_upcoming=pk in upcoming,
            planned_ending=pk in planned,
        )
    return out


def dropouts_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    # Only partnerships older than the window can qualify; the rest never reach the rule.
    candidates = list(
        Partnership.objects.filter(
            status=Partnership.Status.ACTIVE,
            started_at__lte=now - dt.timedelta(days=DROPOUT_DAYS),
        ).values_list("pk", flat=True)
    )
    statuses = dropout_status(candidates, now=now)
    return sorted(pk for pk, status in statuses.items() if status.is_dropout(now))


def mark_dropouts(*, now: dt.datetime | None = None) -> list[int]:
    """The daily job: end every partnership that meets the rule, with reason dropout."""
    now = now or timezone.now()
    ended = []
    for pk in dropouts_due(now=now):
        with transaction.atomic():
            partnership = Partnership.objects.select_for_update().get(pk=pk)
            # Re-check under the lock: an appointment may have been booked meanwhile.
            status = dropout_status([pk], now=now).get(pk)
            if status is None or not status.is_dropout(now):
                continue
            end_partnership(partnership=partnership, reason=Partnership.EndReason.DROPOUT)
            ended.append(pk)
    return ended
