"""iCalendar (RFC 5545) for appointments, with the `icalendar` library.

Nothing clinical goes into a calendar: calendars are synced to third-party services, so an
event says only "Alliance session", the time, the way of meeting and a link back to the
appointment page (which needs a log-in). No names, notes or diagnoses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from alliance.schedule.models import Appointment

PRODID = "-//Alliance//Schedule//EN"
SUMMARY = "Alliance session"


def _uid(appointment: Appointment) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "alliance"
    return f"appointment-{appointment.pk}@{host}"


def _url(appointment: Appointment) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("schedule:appointment", args=[appointment.pk])


def event_for(appointment: Appointment, *, now: dt.datetime) -> Event:
    event = Event()
    event.add("uid", _uid(appointment))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", SUMMARY)
    event.add("description", f"{appointment.get_modality_display()} · {_url(appointment)}")
    event.add("url", _url(appointment))
    event.add("sequence", appointment.sequence)
    event.add("status", "CANCELLED" if appointment.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def calendar_for(
    appointments: Iterable[Appointment], *, now: dt.datetime, method: str | None = None
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Alliance")
    if method:
        cal.add("method", method)
    for appointment in appointments:
        cal.add_component(event_for(appointment, now=now))
    return bytes(cal.to_ical())


def attachment_for(appointment: Appointment, *, now: dt.datetime) -> bytes:
    """The .ics attached to booking e-mails: PUBLISH an update, or CANCEL."""
    method = "CANCEL" if appointment.is_cancelled else "PUBLISH"
    return calendar_for([appointment], now=now, method=method)
