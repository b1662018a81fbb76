"""How partnerships end, and the one definition of dropout.

End reasons: completed, client ended, switched, therapist ended, dropout
(`Partnership.EndReason`). Every part that needs "is this a dropout?" or "how long until
it would be one?" (alert lead times, therapist records, the daily job) calls this module.

Dropout, as defined here: an active partnership with **no attended appointment for
DROPOUT_DAYS (28) days**, counted from the last attended appointment (or from the start
of the partnership when none was attended), **no appointment booked ahead**, and **no
planned ending**. The literature has no single operational definition — studies use
therapist judgement, a missed last session, or a failure to return within a set period
(Swift & Greenberg 2012, J Consult Clin Psychol 80:547, meta-analysis of 669 studies,
weighted mean dropout 19.7%, noting the definitional spread). Four weeks without contact
after weekly or fortnightly sessions is this project's assumption, not a published cut-off.

A planned ending (`care.PlannedEnding`) asks for final measures (a check-in with the
outcome measures) and offers the client a follow-up check three months after the end, so
that gains kept after therapy are visible.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care import lifecycle
from alliance.care.models import Partnership, PlannedEnding
from alliance.care.services import PartnershipError, end_partnership

DROPOUT_DAYS = 28
FOLLOW_UP_AFTER = dt.timedelta(days=91)  # about three months
END_REASONS = Partnership.EndReason
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DropoutStatus:
    partnership_id: int
    last_contact: dt.datetime  # last attended appointment, or the start
    deadline: dt.datetime  # when it becomes a dropout if nothing changes
    has_upcoming: bool
    planned_ending: bool

    def is_dropout(self, now: dt.datetime) -> bool:
        return is_dropout(
            last_contact=self.last_contact,
            has_upcoming=self.has_upcoming,
            planned_ending=self.planned_ending,
            now=now,
        )

    def days_left(self, now: dt.datetime) -> int:
        """Whole days until the rule would fire (0 when it already has): the alert lead time."""
        return max(0, (self.deadline - now).days)


def dropout_deadline(last_contact: dt.datetime) -> dt.datetime:
    return last_contact + dt.timedelta(days=DROPOUT_DAYS)


def is_dropout(
    *, last_contact: dt.datetime, has_upcoming: bool, planned_ending: bool, now: dt.datetime
) -> bool:
    """The dropout rule itself (see the module docstring)."""
    if planned_ending or has_upcoming:
        return False
    return now >= dropout_deadline(last_contact)


# --- planned endings ------------------------------------------------------------------


PLAN_AHEAD_DAYS = 365


@transaction.atomic
def plan_ending(*, partnership: Partnership, by: User, last_day: dt.date) -> object:
    """Agree an ending ahead of time: asks for final measures now (a check-in with the
    outcome measures) and stops the dropout rule from firing while the ending is planned."""

    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if by.pk not in (locked.client_id, locked.therapist_id):
        raise PartnershipError(_("You are not part of this partnership."))
    if not locked.is_active:
        raise PartnershipError(_("This partnership has already ended."))
    if last_day < timezone.localdate():
        raise PartnershipError(_("The last day cannot be in the past."))
    if last_day > timezone.localdate() + dt.timedelta(days=PLAN_AHEAD_DAYS):
        # A planned ending pauses the dropout rule until then and asks for final measures now.
        raise PartnershipError(_("Plan an ending at most a year ahead."))
    planned, created = PlannedEnding.objects.get_or_create(
        partnership=locked, defaults={"planned_by": by, "last_day": last_day}
    )
    if not created:
        planned.last_day = last_day
        planned.save(update_fields=["last_day"])
    if planned.final_measures_requested_at is None:
        planned.final_measures_requested_at = timezone.now()
        planned.save(update_fields=["final_measures_requested_at"])
        event = lifecycle.EndingPlanned(partnership_id=locked.pk)
        transaction.on_commit(lambda: lifecycle.publish(event))
    return planned


@transaction.atomic
def cancel_planned_ending(*, partnership: Partnership, by: User) -> None:

    if by.pk not in (partnership.client_id, partnership.therapist_id) or not (
        partnership.is_active
    ):
        raise PartnershipError(_("You are not part of this partnership."))
    PlannedEnding.objects.filter(partnership=partnership).delete()


@transaction.atomic
def end(*, partnership: Partnership, by: User, reason: str) -> Partnership:
    """End a partnership now. The client may end it (client_ended); the therapist may end
    it as completed or therapist_ended. Switching and dropout have their own paths
    (care/switching.py and the daily job). Upcoming appointments are cancelled; a planned
    ending gets its three-month follow-up date."""

    allowed = {
        partnership.client_id: {END_REASONS.CLIENT_ENDED},
        partnership.therapist_id: {END_REASONS.COMPLETED, END_REASONS.THERAPIST_ENDED},
    }.get(by.pk)
    if allowed is None:
        raise PartnershipError(_("You are not part of this partnership."))
    if reason not in allowed:
        raise PartnershipError(_("Choose a reason for ending."))
    # Upcoming appointments are cancelled by the schedule's handler (care/lifecycle.py).
    ended = end_partnership(partnership=partnership, reason=reason, by=by)
    now = ended.ended_at or timezone.now()
    planned = PlannedEnding.objects.filter(partnership=ended).first()
    if planned is not None:
        planned.follow_up_due_on = timezone.localdate(now) + FOLLOW_UP_AFTER
        planned.save(update_fields=["follow_up_due_on"])
    return ended


@transaction.atomic
def answer_follow_up_offer(*, partnership: Partnership, by: User, wanted: bool) -> None:

    if by.pk != partnership.client_id:
        raise PartnershipError(_("Only the client can answer this."))
    updated = PlannedEnding.objects.filter(partnership=partnership).update(follow_up_wanted=wanted)
    if not updated:
        raise PartnershipError(_("There is no planned ending to follow up."))


def request_due_follow_ups(*, today: dt.date | None = None) -> list[int]:
    """The daily job: request the three-month follow-up check from clients who wanted one.

    Idempotent: `follow_up_requested_at` is set in the same transaction as the request.
    """

    today = today or timezone.localdate()
    done: list[int] = []
    due = PlannedEnding.objects.filter(
        follow_up_wanted=True,
        follow_up_due_on__lte=today,
        follow_up_requested_at__isnull=True,
        partnership__status=Partnership.Status.ENDED,
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            partnership_id = _request_follow_up(pk)
        except Exception:
            # Left pending: tomorrow's run tries again.
            logger.exception("follow-up request for planned ending %s failed", pk)
            continue
        if partnership_id is not None:
            done.append(partnership_id)
    return done


def _request_follow_up(pk: int) -> int | None:

    with transaction.atomic():
        planned = PlannedEnding.objects.select_for_update().select_related("partnership").get(pk=pk)
        if planned.follow_up_requested_at is not None:
            return None
        planned.follow_up_requested_at = timezone.now()
        planned.save(update_fields=["follow_up_requested_at"])
        lifecycle.publish(lifecycle.FollowUpDue(partnership_id=planned.partnership_id))
        return planned.partnership_id
