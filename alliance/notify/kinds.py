"""What a notification is about, and the ways it can travel.

Safety alerts are not a kind: they reach clinicians by e-mail at once, whatever anyone's
quiet hours (checkins/safety.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

REMINDER = "reminder"
MESSAGE = "message"
CALL_WAITING = "call_waiting"
CHECKIN = "checkin"

KINDS = {
    REMINDER: _("Appointment reminders"),
    MESSAGE: _("New messages"),
    CALL_WAITING: _("A client is waiting in a call"),
    CHECKIN: _("Check-ins due"),
}
# Who can receive each kind (a therapist has no check-ins to fill, a client no waiting room).
ROLES = {
    REMINDER: {"client", "therapist"},
    MESSAGE: {"client", "therapist"},
    CALL_WAITING: {"therapist"},
    CHECKIN: {"client"},
}

EMAIL = "email"
PUSH = "push"
SMS = "sms"
CHANNELS = {EMAIL: _("E-mail"), PUSH: _("Push on this device"), SMS: _("Text message")}

# Before anyone chooses: e-mail as it always was; push wherever a device was switched on
# (which is itself a choice); text messages for reminders only, once a number is confirmed.
# A waiting client is news for minutes, so that one is push only.
DEFAULT_CHANNELS: dict[str, list[str]] = {
    REMINDER: [EMAIL, PUSH, SMS],
    MESSAGE: [EMAIL, PUSH],
    CALL_WAITING: [PUSH],
    CHECKIN: [EMAIL, PUSH],
}


def kinds_for(role: str) -> list[str]:
    return [kind for kind in KINDS if role in ROLES[kind]]
