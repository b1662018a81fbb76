"""Quiet hours: wall-clock times in the person's own zone, so they follow them across a
daylight-saving change."""

from __future__ import annotations

import datetime as dt

from alliance.accounts.models import User
from alliance.core.zones import zone_of
from alliance.notify.models import Preferences


def _at(day: dt.date, time: dt.time, user: User) -> dt.datetime:
    # A time skipped by a spring-forward change comes out an hour later, which is still the
    # first moment after the quiet hours.
    return dt.datetime.combine(day, time, tzinfo=zone_of(user)).astimezone(dt.UTC)


def quiet_until(prefs: Preferences | None, user: User, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours around `now` end, or None if `now` is not in them."""
    if prefs is None or prefs.quiet_start is None or prefs.quiet_end is None:
        return None
    start, end = prefs.quiet_start, prefs.quiet_end
    if start == end:
        return None
    local = now.astimezone(zone_of(user))
    clock, today = local.time().replace(tzinfo=None), local.date()
    if start < end:  # e.g. 13:00-15:00
        return _at(today, end, user) if start <= clock < end else None
    if clock >= start:  # e.g. 22:00-07:00, now 23:00: until tomorrow 07:00
        return _at(today + dt.timedelta(days=1), end, user)
    if clock < end:  # now 05:00: until 07:00 today
        return _at(today, end, user)
    return None
