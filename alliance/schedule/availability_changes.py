"""A therapist's changes to their own availability: weekly windows, one-day exceptions
(extra hours or unavailable) and time off. Reading the calendar these make is
`availability.py`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core.zones import therapist_zone
from alliance.directory.models import AvailabilityWindow, TherapistProfile
from alliance.schedule.errors import ScheduleError
from alliance.schedule.models import AvailabilityException, TimeOff


def _profile(therapist: User) -> TherapistProfile:
    profile = TherapistProfile.objects.filter(user=therapist).first()
    if profile is None or not therapist.is_therapist:
        raise ScheduleError(_("Only therapists have availability."))
    return profile


@transaction.atomic
def add_weekly_window(
    *, therapist: User, weekday: int, start: dt.time, end: dt.time
) -> AvailabilityWindow:
    profile = _profile(therapist)
    if not 0 <= weekday <= 6:
        raise ScheduleError(_("Choose a day of the week."))
    if end <= start:
        raise ScheduleError(_("The end must be after the start."))
    overlapping = AvailabilityWindow.objects.filter(
        therapist=profile, weekday=weekday, start__lt=end, end__gt=start
    )
    if overlapping.exists():
        raise ScheduleError(_("This overlaps a window you already have on that day."))
    return AvailabilityWindow.objects.create(
        therapist=profile, weekday=weekday, start=start, end=end
    )


@transaction.atomic
def remove_weekly_window(*, therapist: User, window_id: int) -> None:
    deleted, _rows = AvailabilityWindow.objects.filter(
        pk=window_id, therapist__user=therapist
    ).delete()
    if not deleted:
        raise ScheduleError(_("No such availability window."))


@transaction.atomic
def add_exception(
    *,
    therapist: User,
    date: dt.date,
    kind: str,
    start: dt.time | None = None,
    end: dt.time | None = None,
) -> AvailabilityException:
    _profile(therapist)
    if kind not in AvailabilityException.Kind.values:
        raise ScheduleError(_("Choose whether you are available or not."))
    if (start is None) != (end is None):
        raise ScheduleError(_("Give both a start and an end time, or neither."))
    if start is not None and end is not None and end <= start:
        raise ScheduleError(_("The end must be after the start."))
    if kind == AvailabilityException.Kind.EXTRA and start is None:
        raise ScheduleError(_("Extra availability needs a start and an end time."))
    if date < timezone.now().astimezone(therapist_zone(therapist)).date():
        raise ScheduleError(_("That date has passed."))
    return AvailabilityException.objects.create(
        therapist=therapist, date=date, kind=kind, start=start, end=end
    )


@transaction.atomic
def add_time_off(
    *, therapist: User, first_day: dt.date, last_day: dt.date, label: str = ""
) -> TimeOff:
    _profile(therapist)
    if last_day < first_day:
        raise ScheduleError(_("The last day must not be before the first."))
    if last_day < timezone.now().astimezone(therapist_zone(therapist)).date():
        raise ScheduleError(_("That time has passed."))
    return TimeOff.objects.create(
        therapist=therapist, first_day=first_day, last_day=last_day, label=label.strip()[:120]
    )


@transaction.atomic
def remove_exception(*, therapist: User, kind: str, pk: int) -> None:
    model = TimeOff if kind == "time_off" else AvailabilityException
    deleted, _rows = model.objects.filter(pk=pk, therapist=therapist).delete()
    if not deleted:
        raise ScheduleError(_("No such entry."))
