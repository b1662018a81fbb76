"""One time-zone helper: names become zones with a UTC fallback, and the zones offered are
the current names only."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from alliance.core.zones import UTC, zone_choices, zone_named, zone_names


@pytest.mark.parametrize("name", ["", None, "Mars/Olympus_Mons", "../etc/passwd", "A" * 300])
def test_a_missing_or_unknown_name_reads_as_utc(name):
    assert zone_named(name) == UTC


def test_a_stored_alias_still_works():
    assert zone_named("US/Pacific") == ZoneInfo("US/Pacific")


def test_the_offered_zones_are_current_names_only():
    names = set(zone_names())
    assert {"America/Los_Angeles", "Europe/Kyiv", "Asia/Kolkata", "UTC"} <= names
    # Deprecated aliases and legacy abbreviations are not offered.
    assert not names & {"US/Pacific", "Asia/Calcutta", "Europe/Kiev", "EST5EDT", "GMT+0"}
    assert 300 < len(names) < 500


def test_choices_read_as_places():
    assert ("America/Los_Angeles", "America/Los Angeles") in zone_choices()


@pytest.mark.django_db
def test_the_account_form_refuses_an_alias_but_takes_a_current_name():
    from alliance.accounts.forms import ProfileForm

    form = ProfileForm(data={"timezone": "US/Pacific"})
    assert "timezone" in form.errors
    form = ProfileForm(data={"timezone": "America/Los_Angeles"})
    assert "timezone" not in form.errors
