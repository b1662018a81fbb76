"""Plans coming due for review, the therapist's reminder, and what the monitor reads.

Only a partnership's current version counts, and only while the partnership is active. The
reminder goes once per version (the claim on `review_reminded_at` is taken before the
e-mail, so two workers never both send it); it names no client and no clinical content,
only a link to the list of plans due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.core import mail
from alliance.measures.alerts.model import PlanStatus
from alliance.records.plan_models import PlanResponse, PlanVersion

REMIND_WITHIN = dt.timedelta(days=7)


def _current() -> QuerySet[PlanVersion]:
    newer = PlanVersion.objects.filter(plan_id=OuterRef("plan_id"), number__gt=OuterRef("number"))
    return PlanVersion.objects.filter(
        ~Exists(newer), plan__partnership__status=Partnership.Status.ACTIVE
    )


def is_due(version: PlanVersion, today: dt.date | None = None) -> bool:
    return version.review_on <= (today or timezone.localdate()) + REMIND_WITHIN


def due_for_review(therapist: User, today: dt.date | None = None) -> list[PlanVersion]:
    """The therapist's current plans whose review is within a week or overdue, soonest
    first."""
    day = today or timezone.localdate()
    return list(
        _current()
        .filter(plan__partnership__therapist=therapist, review_on__lte=day + REMIND_WITHIN)
        .select_related("plan__partnership__client")
        .order_by("review_on", "id")
    )


def send_review_reminders(*, today: dt.date | None = None) -> int:
    """E-mail each therapist once per plan version whose review falls due within a week;
    the number sent."""
    day = today or timezone.localdate()
    due = (
        _current()
        .filter(review_on__lte=day + REMIND_WITHIN, review_reminded_at__isnull=True)
        .select_related("plan__partnership__therapist")
        .order_by("id")
    )
    sent = 0
    for version in due:
        with transaction.atomic():
            claimed = PlanVersion.objects.filter(
                pk=version.pk, review_reminded_at__isnull=True
            ).update(review_reminded_at=timezone.now())
            if not claimed:
                continue
            therapist = version.plan.partnership.therapist
            mail.send(
                therapist,
                subject=gettext_noop("A treatment plan is due for review"),
                template="records/plan_review_email.txt",
                context={
                    "therapist": therapist,
                    "review_on": version.review_on,
                    "overdue": version.review_on < day,
                    "link": mail.link("records:plans_due"),
                },
            )
            sent += 1
    return sent


def plan_status_for_alerts(partnership_ids: Iterable[int]) -> dict[int, PlanStatus]:
    """Per partnership with a plan: its current version, and whether the client's latest
    answer to it is a disagreement. Two queries for any number of partnerships."""
    ids = list(partnership_ids)
    current = {
        pk: (pid, number)
        for pk, pid, number in _current()
        .filter(plan__partnership_id__in=ids)
        .values_list("pk", "plan__partnership_id", "number")
    }
    latest: dict[int, tuple[bool, dt.datetime]] = {}
    for version_id, agreed, at in (
        PlanResponse.objects.filter(version_id__in=list(current))
        .order_by("at", "id")
        .values_list("version_id", "agreed", "at")
    ):
        latest[version_id] = (agreed, at)
    out = {}
    for version_id, (pid, number) in current.items():
        answer = latest.get(version_id)
        disagreed = answer is not None and not answer[0]
        out[pid] = PlanStatus(
            version=number,
            disagreed=disagreed,
            disagreed_on=timezone.localdate(answer[1]) if answer and disagreed else None,
        )
    return out
