"""Open times of a therapist: the weekly windows, minus exceptions and time off, minus
what is already booked — computed in the therapist's own zone, returned as UTC instants.

A window is wall-clock time where the therapist lives ("Mondays 09:00–12:00 in New York"),
so it keeps its local hour when daylight saving changes and moves in UTC instead. Local
times that do not exist on a spring-forward day are skipped; on a fall-back day the first
of two repeated times is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from alliance.accounts.models import User
from alliance.core.zones import therapist_zone
from alliance.directory.models import AvailabilityWindow, TherapistProfile
from alliance.schedule.models import Appointment, AvailabilityException, TimeOff

UTC = dt.UTC


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime


def appointment_length() -> dt.timedelta:
    length = dt.timedelta(minutes=settings.APPOINTMENT_MINUTES)
    # The SQLite overlap trigger looks back at most this far (overlap.MAX_HOURS).
    if not dt.timedelta(minutes=10) <= length <= dt.timedelta(hours=12):
        raise ValueError("APPOINTMENT_MINUTES must be between 10 and 720")
    return length


def localize(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of wall-clock `time` on `day` in `zone`; None if it does not exist."""
    local = dt.datetime.combine(day, time).replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    back = instant.astimezone(zone)
    if (back.date(), back.time()) != (day, time):
        return None  # skipped by a spring-forward change
    return instant


def _subtract(
    intervals: list[tuple[dt.time, dt.time]], cut: tuple[dt.time, dt.time]
) -> list[tuple[dt.time, dt.time]]:
    out = []
    for start, end in intervals:
        if cut[1] <= start or cut[0] >= end:
            out.append((start, end))
            continue
        if start < cut[0]:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


@dataclass(frozen=True)
class TherapistCalendar:
    """What the slot calculation needs, fetched in a few queries."""

    zone: ZoneInfo
    windows: dict[int, list[tuple[dt.time, dt.time]]]
    exceptions: dict[dt.date, list[AvailabilityException]]
    time_off: list[tuple[dt.date, dt.date]]
    busy: list[tuple[dt.datetime, dt.datetime]]

    def local_windows(self, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        if any(first <= day <= last for first, last in self.time_off):
            return []
        intervals = list(self.windows.get(day.weekday(), []))
        for exc in self.exceptions.get(day, []):
            if exc.kind == AvailabilityException.Kind.EXTRA and exc.start and exc.end:
                intervals.append((exc.start, exc.end))
        for exc in self.exceptions.get(day, []):
            if exc.kind == AvailabilityException.Kind.BLOCKED:
                if exc.start is None or exc.end is None:
                    return []
                intervals = _subtract(intervals, (exc.start, exc.end))
        return sorted(intervals)

    def within_availability(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        local_start = starts_at.astimezone(self.zone)
        local_end = ends_at.astimezone(self.zone)
        if local_start.date() != local_end.date() and local_end.time() != dt.time(0):
            return False
        day = local_start.date()
        for start, end in self.local_windows(day):
            window_start = localize(day, start, self.zone)
            window_end = localize(day, end, self.zone)
            if window_start is None or window_end is None:
                continue
            if window_start <= starts_at and ends_at <= window_end:
                return True
        return False

    def is_busy(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        return any(b_start < ends_at and starts_at < b_end for b_start, b_end in self.busy)


def load_calendar(
    therapist: User,
    start: dt.datetime,
    end: dt.datetime,
    *,
    client: User | None = None,
    ignore_appointment: int | None = None,
) -> TherapistCalendar:
    zone = therapist_zone(therapist)
    windows: dict[int, list[tuple[dt.time, dt.time]]] = {}
    profile = TherapistProfile.objects.filter(user=therapist).only("id").first()
    if profile is not None:
        for w in AvailabilityWindow.objects.filter(therapist=profile):
            windows.setdefault(w.weekday, []).append((w.start, w.end))
    first_day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last_day = end.astimezone(zone).date() + dt.timedelta(days=1)
    exceptions: dict[dt.date, list[AvailabilityException]] = {}
    for exc in AvailabilityException.objects.filter(
        therapist=therapist, date__gte=first_day, date__lte=last_day
    ):
        exceptions.setdefault(exc.date, []).append(exc)
    time_off = list(
        TimeOff.objects.filter(
            therapist=therapist, last_day__gte=first_day, first_day__lte=last_day
        ).values_list("first_day", "last_day")
    )
    busy_qs = Appointment.objects.filter(starts_at__lt=end, ends_at__gt=start).exclude(
        status=Appointment.Status.CANCELLED
    )
    people = [therapist.pk] + ([client.pk] if client is not None else [])
    from django.db.models import Q

    busy_qs = busy_qs.filter(Q(therapist_id=therapist.pk) | Q(client_id__in=people))
    if ignore_appointment is not None:
        busy_qs = busy_qs.exclude(pk=ignore_appointment)
    busy = list(busy_qs.values_list("starts_at", "ends_at"))
    return TherapistCalendar(zone, windows, exceptions, time_off, busy)


def open_slots(
    calendar: TherapistCalendar,
    start: dt.datetime,
    end: dt.datetime,
    *,
    length: dt.timedelta | None = None,
    step_minutes: int | None = None,
    not_before: dt.datetime | None = None,
) -> list[Slot]:
    """Bookable start times between `start` and `end` (UTC), aligned to the step in the
    therapist's local time (e.g. on the hour and half hour)."""
    length = length or appointment_length()
    step = dt.timedelta(minutes=step_minutes or settings.SLOT_STEP_MINUTES)
    day = start.astimezone(calendar.zone).date()
    last_day = end.astimezone(calendar.zone).date()
    out: list[Slot] = []
    while day <= last_day:
        for w_start, w_end in calendar.local_windows(day):
            cursor = dt.datetime.combine(day, w_start)
            stop = dt.datetime.combine(day, w_end)
            while cursor + length <= stop:
                instant = localize(day, cursor.time(), calendar.zone)
                cursor += step
                if instant is None:
                    continue
                slot_end = instant + length
                if instant < start or slot_end > end:
                    continue
                if not_before is not None and instant < not_before:
                    continue
                if not calendar.within_availability(instant, slot_end):
                    continue  # a window cut short by a daylight-saving change
                if calendar.is_busy(instant, slot_end):
                    continue
                out.append(Slot(instant, slot_end))
        day += dt.timedelta(days=1)
    return sorted(set(out), key=lambda s: s.starts_at)


def group_by_local_day(
    slots: Iterable[Slot], zone: ZoneInfo
) -> list[tuple[dt.date, list[tuple[Slot, dt.datetime]]]]:
    """Slots grouped by the viewer's local date, each with its local start time."""
    days: dict[dt.date, list[tuple[Slot, dt.datetime]]] = {}
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        days.setdefault(local.date(), []).append((slot, local))
    return sorted(days.items())


def weekly_summary(
    windows: Sequence[AvailabilityWindow],
) -> list[tuple[int, list[tuple[dt.time, dt.time]]]]:
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for w in windows:
        by_day.setdefault(w.weekday, []).append((w.start, w.end))
    return sorted(by_day.items())
