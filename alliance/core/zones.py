"""Time zones: the one place a stored zone name becomes a `ZoneInfo`, and the list people
choose from.

A name that is empty, unknown or malformed reads as UTC rather than failing a page: zone
names come from people's settings and from older releases, and a reminder must still go out.
The list offered is the tz database's `zone.tab` (one current name per region, as shipped by
the `tzdata` package): it leaves out the deprecated aliases ("US/Pacific", "Asia/Calcutta")
and the legacy abbreviations ("EST5EDT") that `available_timezones()` also returns. A stored
alias still works everywhere; it is only not offered.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from alliance.accounts.models import User

UTC = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo:
    """The zone called `name`, or UTC when there is none by that name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        return UTC


def zone_of(user: User) -> ZoneInfo:
    """The zone a person reads times in (their own setting)."""
    return zone_named(user.timezone)


def therapist_zone(therapist: User) -> ZoneInfo:
    """The zone a therapist's working hours are set in: the profile's, else their own."""
    profile = getattr(therapist, "therapist_profile", None)
    return zone_named(profile.timezone if profile is not None else therapist.timezone)


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone offered for choice, sorted, with UTC."""
    try:
        table = (files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
        names = {
            line.split("\t")[2]
            for line in table.splitlines()
            if line and not line.startswith("#") and line.count("\t") >= 2
        }
    except (ModuleNotFoundError, FileNotFoundError):
        # Without the table: the region/city names, which still leaves out the abbreviations.
        names = {name for name in available_timezones() if "/" in name}
    return tuple(sorted(names | {"UTC"}))


def zone_choices() -> list[tuple[str, str]]:
    """(value, label) pairs for a form: "America/Los Angeles" reads better than the id."""
    return [(name, name.replace("_", " ")) for name in zone_names()]
