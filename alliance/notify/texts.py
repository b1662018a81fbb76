"""The words of a push or a text message, in the recipient's language.

Whoever picks up a phone can read its lock screen, so by default it says only "Alliance"
and "You have a new update.". A person who opts in to detail sees what kind of update and
from whom or when — still never a message's words, a check-in's answers or the word
"therapy" (tests/notify/test_texts.py reads every wording for it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core.mail import language_of
from alliance.core.zones import zone_of
from alliance.notify import kinds
from alliance.notify.models import Preferences

TITLE = "Alliance"


@dataclass(frozen=True)
class Wording:
    title: str
    body: str
    settings_label: str


def _when(starts_at: dt.datetime, user: User, now: dt.datetime) -> str:
    zone = zone_of(user)
    local, today = starts_at.astimezone(zone), now.astimezone(zone).date()
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == today:
        return _("%(time)s today") % {"time": time}
    if local.date() == today + dt.timedelta(days=1):
        return _("%(time)s tomorrow") % {"time": time}
    return _("%(time)s on %(day)s") % {
        "time": time,
        "day": formats.date_format(local, "MONTH_DAY_FORMAT"),
    }


def _detail(kind: str, facts: dict[str, Any], user: User, now: dt.datetime) -> str:
    if kind == kinds.REMINDER and facts.get("starts_at"):
        starts_at = dt.datetime.fromisoformat(str(facts["starts_at"]))
        return _("Reminder: your appointment at %(when)s") % {"when": _when(starts_at, user, now)}
    if kind == kinds.MESSAGE and facts.get("sender"):
        return _("New message from %(name)s") % {"name": facts["sender"]}
    if kind == kinds.CALL_WAITING and facts.get("client"):
        return _("%(name)s is waiting in your call") % {"name": facts["client"]}
    if kind == kinds.CHECKIN:
        return _("A check-in is ready for you")
    return _("You have a new update.")


def wording(user: User, kind: str, facts: dict[str, Any], *, now: dt.datetime) -> Wording:
    """What a lock screen shows: discreet unless `user` opted in to detail."""
    prefs = Preferences.objects.filter(user=user).first()
    with translation.override(language_of(user)):
        body = (
            _detail(kind, facts, user, now)
            if prefs is not None and prefs.show_detail
            else _("You have a new update.")
        )
        return Wording(TITLE, body, _("Notification settings"))


def sms_body(wording: Wording, link: str, user: User) -> str:
    with translation.override(language_of(user)):
        # Carriers expect the opt-out words in every automated text (CTIA guidelines).
        return f"{wording.title}: {wording.body} {link}\n{_('Reply STOP to stop.')}"


def code_sms(code: str, user: User) -> str:
    with translation.override(language_of(user)):
        return (
            _("Alliance: your confirmation code is %(code)s.") % {"code": code}
            + "\n"
            + _("Reply STOP to stop.")
        )
