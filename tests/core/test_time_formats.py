"""One clock per language: English readers see "3:00 PM", Spanish readers "15:00", on every
page and in every e-mail, because formats are named (alliance/formats) and never spelled out."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

import alliance
from alliance.formats.en import formats as english
from alliance.formats.es import formats as spanish
from tests.conftest import logged_in, make_appointment
from tests.schedule.conftest import ny

ROOT = Path(alliance.__file__).parent
# A clock spelled out: Django's H:i / G:i / g:i / h:i, Python's %H:%M / %I:%M. An ISO
# date-time (a "T" just before the clock: 'Y-m-d\TH:i:sO', "%Y-%m-%dT%H:%M:%S%z") is a
# machine format and stays, as does a word ending in one of those letters before a colon
# (a URL name such as "billing:invoice").
CLOCK = re.compile(r"(?<![A-Za-z])(?:[HGgh]:i|%[HI]:%M)")
FILTER = re.compile(r"""\|(?:date|time):(?:"([^"]*)"|'([^']*)')""")
MACHINE = {"c", "U", r"Y-m-d\TH:i:sO"}


def _sources() -> list[Path]:
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt")]
    found += [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]
    found += ROOT.glob("static/js/*.js")
    return [p for p in found if ROOT / "formats" not in p.parents]


def _names(module: object) -> set[str]:
    return {n for n in vars(module) if n.isupper()}


def test_no_clock_format_is_spelled_out_outside_the_formats_modules():
    spelled = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}"
        for path in _sources()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if CLOCK.search(line)
    ]
    assert spelled == [], "name a format from alliance/formats instead:\n" + "\n".join(spelled)


def test_templates_name_formats_that_every_language_defines():
    assert _names(english) == _names(spanish)
    unknown = [
        f"{path.relative_to(ROOT)}: {arg}"
        for path in ROOT.glob("templates/**/*")
        if path.is_file()
        for match in FILTER.finditer(path.read_text())
        if (arg := match.group(1) or match.group(2)) not in MACHINE | _names(english)
    ]
    assert unknown == []


def test_the_scan_catches_a_spelled_out_clock_and_spares_iso():
    assert CLOCK.search('{{ a.starts_at|date:"D j M, H:i" }}')
    assert CLOCK.search('f"{moment:%H:%M}"') and CLOCK.search('"%I:%M %p"')
    assert not CLOCK.search(r"|date:'Y-m-d\TH:i:sO'")
    assert not CLOCK.search('input_formats=["%Y-%m-%dT%H:%M:%S%z"]')
    assert not CLOCK.search("{% url 'billing:invoice' pk %}")


# --- the same instant, for an English and a Spanish reader ---------------------------

CLOCKS = {"en": "3:00 PM", "es": "15:00"}


def _as_reader(user, language: str):
    browser = logged_in(user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


@pytest.mark.parametrize("language", ["en", "es"])
def test_pages_show_the_readers_clock(language, partnership, client_user, their_therapist):
    from alliance.conversations.models import Message
    from alliance.conversations.services import post_message
    from alliance.directory.models import AvailabilityWindow

    # given: a free slot, a session and a message, all at 3 p.m. New York time (the reader's)
    at = ny(3, 15)
    AvailabilityWindow.objects.create(
        therapist=their_therapist.therapist_profile,
        weekday=at.weekday(),
        start=dt.time(15),
        end=dt.time(16),
    )
    post_message(
        partnership=partnership, sender=their_therapist, client_id=uuid.uuid4().hex, body="hi"
    )
    Message.objects.update(created_at=at)
    browser = _as_reader(client_user, language)
    book = browser.get(f"/schedule/partnerships/{partnership.pk}/book/").content.decode()
    make_appointment(partnership, at)
    # when
    pages = {
        "booking": book,
        "appointments": browser.get("/schedule/").content.decode(),
        "messages": browser.get(f"/conversations/{partnership.pk}/").content.decode(),
    }
    # then
    other = CLOCKS["es" if language == "en" else "en"]
    for name, html in pages.items():
        assert f'<html lang="{language}"' in html, name
        assert CLOCKS[language] in html and other not in html, name
    assert 'data-time-zone="America/New_York"' in pages["messages"]  # for chat.js


def test_an_email_shows_each_recipients_clock(partnership, client_user, their_therapist):
    from alliance.schedule import tasks

    client_user.preferred_language = "es"
    client_user.save(update_fields=["preferred_language"])
    appointment = make_appointment(partnership, ny(3, 15))
    assert tasks.send_appointment_email.call(appointment.pk, "booked", appointment.sequence) == 2
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "15:00" in bodies[client_user.email] and "PM" not in bodies[client_user.email]
    assert (
        "3:00 PM" in bodies[their_therapist.email] and "15:00" not in bodies[their_therapist.email]
    )


def test_chart_labels_use_the_readers_decimal_separator_like_the_table_beside_them():
    from django.utils import translation

    from alliance.checkins import charts

    with translation.override("es"):
        assert charts._fmt(4.5) == "4,5" and charts._fmt(5.0) == "5"
    with translation.override("en"):
        assert charts._fmt(4.5) == "4.5"
