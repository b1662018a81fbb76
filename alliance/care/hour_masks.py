"""Weekly hours in a person's own time zone, as the engine's UTC hour-of-week mask.

Both the therapists' availability windows and the client's preferred times are in their own
time zones; they are turned into the engine's 168-bit UTC hour-of-week mask over the same
coming week (the next 168 absolute hours), so a DST change inside that week shifts exactly
the hours it should.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np

from alliance.core.zones import zone_named
from alliance.matching.vocabulary import ALL_HOURS, hour_of_week

UTC = dt.UTC


def week_hours(zone: str, now: dt.datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the next 168 absolute hours: (UTC bit, local weekday, local minute of day)."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    tz = zone_named(zone)
    bits, days, minutes = [], [], []
    for i in range(168):
        t = start + dt.timedelta(hours=i)
        local = t.astimezone(tz)
        bits.append(hour_of_week(t.weekday(), t.hour))
        days.append(local.weekday())
        minutes.append(local.hour * 60 + local.minute)
    return np.array(bits), np.array(days), np.array(minutes)


class HourMasks:
    """Turns weekly local windows into UTC hour masks, one time-zone table at a time."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._tables: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def mask(self, zone: str, windows: Iterable[tuple[int, int, int]]) -> int:
        """Windows are (weekday, start minute, end minute) local; an hour counts if whole."""
        table = self._tables.get(zone)
        if table is None:
            table = self._tables[zone] = week_hours(zone, self.now)
        bits, days, minutes = table
        mask = 0
        for weekday, start, end in windows:
            hit = (days == weekday) & (minutes >= start) & (minutes + 60 <= end)
            for b in bits[hit].tolist():
                mask |= 1 << b
        return mask


def preferred_mask(zone: str, times: Sequence[Sequence[int]], now: dt.datetime) -> int:
    """The client's preferred [weekday, start hour, end hour] in their zone; none = any."""
    if not times:
        return ALL_HOURS
    return HourMasks(now).mask(zone, [(int(d), int(s) * 60, int(e) * 60) for d, s, e in times])
