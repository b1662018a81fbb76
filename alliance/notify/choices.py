"""What a person chooses: channels per kind, quiet hours, detail on the lock screen, their
devices for push, and a phone number confirmed by a code before any reminder goes to it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core.errors import DomainError
from alliance.notify import kinds, phones, sms, texts
from alliance.notify.models import Phone, Preferences, PushSubscription
from alliance.notify.services import preferences_of

CODE_MINUTES = 15
CODE_ATTEMPTS = 5
CODE_RESEND_SECONDS = 60
# Twilio's standard opt-out and opt-in words (Advanced Opt-Out keeps the same defaults).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP"}


class NotifyError(DomainError):
    status = 400


@transaction.atomic
def update_preferences(
    *,
    user: User,
    channels: dict[str, list[str]],
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
    show_detail: bool,
) -> Preferences:
    if (quiet_start is None) != (quiet_end is None):
        raise NotifyError(_("Give both a start and an end for quiet hours, or neither."))
    prefs = preferences_of(user)
    chosen = dict(prefs.channels)
    for kind in kinds.kinds_for(user.role):
        chosen[kind] = [c for c in kinds.CHANNELS if c in channels.get(kind, [])]
    prefs.channels = chosen
    prefs.quiet_start, prefs.quiet_end, prefs.show_detail = quiet_start, quiet_end, show_detail
    prefs.save(update_fields=["channels", "quiet_start", "quiet_end", "show_detail", "updated_at"])
    return prefs


@transaction.atomic
def stop_emails(*, user_id: int, kind: str) -> bool:
    """The one-click unsubscribe: e-mail off for `kind`. False if the account is gone."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    prefs = Preferences.objects.select_for_update().filter(pk=preferences_of(user).pk).get()
    current = prefs.channels.get(kind, kinds.DEFAULT_CHANNELS[kind])
    prefs.channels = {**prefs.channels, kind: [c for c in current if c != kinds.EMAIL]}
    prefs.save(update_fields=["channels", "updated_at"])
    return True


def _key_bytes(text: Any, size: int) -> bool:
    if not isinstance(text, str) or len(text) > 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == size and (size != 65 or raw[0] == 4)


def _endpoint_ok(endpoint: Any) -> bool:
    if not isinstance(endpoint, str) or len(endpoint) > 2000 or "\x00" in endpoint:
        return False
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return False
    # Push services are https; plain http only to this machine (a local push service).
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)


@transaction.atomic
def subscribe(*, user: User, endpoint: Any, p256dh: Any, auth: Any) -> PushSubscription:
    """Remember this browser's push subscription (the keys of RFC 8291: a P-256 public key
    and a 16-byte auth secret). A device someone else used before now notifies this user."""
    if not (_endpoint_ok(endpoint) and _key_bytes(p256dh, 65) and _key_bytes(auth, 16)):
        raise NotifyError(_("This browser's push subscription could not be used."))
    found, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
    )
    return found


def unsubscribe(*, user: User, endpoint: Any) -> int:
    if not isinstance(endpoint, str):
        return 0
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


def _code_hash(phone: Phone, code: str) -> str:
    return salted_hmac("alliance.notify.code", f"{phone.digest}:{code}").hexdigest()


@transaction.atomic
def set_phone(*, user: User, number: Any) -> Phone:
    """Store the number unconfirmed and text it a code (no reminder goes to it before)."""
    provider = sms.provider()
    if provider is None:
        raise NotifyError(_("Text messages are not available on this service."))
    normalised = phones.normalise(number)
    if normalised is None:
        raise NotifyError(
            _("Enter the number in international form with its country code, e.g. +1 555 010 9999.")
        )
    now = timezone.now()
    phone = Phone.objects.select_for_update().filter(user=user).first()
    recent = now - dt.timedelta(seconds=CODE_RESEND_SECONDS)
    if phone and phone.code_sent_at and phone.code_sent_at > recent and phone.number == normalised:
        raise NotifyError(_("A code was sent a moment ago. Wait a minute before asking again."))
    phone = phone or Phone(user=user)
    phone.number, phone.digest = normalised, phones.digest_of(normalised)
    code = f"{secrets.randbelow(10**6):06d}"
    phone.code_hash, phone.code_sent_at, phone.code_attempts = _code_hash(phone, code), now, 0
    phone.confirmed_at = phone.opted_out_at = None
    try:
        with transaction.atomic():
            phone.save()
    except IntegrityError:
        raise NotifyError(_("This number cannot be used here.")) from None
    try:
        provider.send(to=normalised, body=texts.code_sms(code, user))
    except sms.SmsRefused as exc:
        if exc.opted_out:
            raise NotifyError(
                _("This number has replied STOP to us. Text START to us first, then try again.")
            ) from None
        raise NotifyError(_("We could not send a text message to this number.")) from None
    return phone


def confirm_phone(*, user: User, code: Any) -> Phone:
    # Not one transaction: a wrong code's attempt must stay counted when the refusal is raised.
    with transaction.atomic():
        phone = Phone.objects.select_for_update().filter(user=user).first()
        if phone is None or phone.confirmed_at is not None or not phone.code_hash:
            raise NotifyError(_("There is no number waiting to be confirmed."))
        sent = phone.code_sent_at
        if (
            sent is None
            or timezone.now() - sent > dt.timedelta(minutes=CODE_MINUTES)
            or phone.code_attempts >= CODE_ATTEMPTS
        ):
            raise NotifyError(_("This code has expired. Ask for a new one."))
        given = code.strip() if isinstance(code, str) else ""
        right = given.isdigit() and constant_time_compare(_code_hash(phone, given), phone.code_hash)
        if right:
            phone.confirmed_at, phone.code_hash = timezone.now(), ""
            phone.save(update_fields=["confirmed_at", "code_hash"])
            return phone
        phone.code_attempts += 1
        phone.save(update_fields=["code_attempts"])
    raise NotifyError(_("That code is not right. Check the text message and try again."))


def remove_phone(*, user: User) -> int:
    deleted, _ = Phone.objects.filter(user=user).delete()
    return deleted


def inbound_text(*, from_number: Any, body: Any) -> str:
    """A text message to our number: STOP turns texts off for that number, START back on."""
    number = phones.normalise(from_number)
    word = body.strip().upper() if isinstance(body, str) else ""
    if number is None or word not in STOP_WORDS | START_WORDS:
        return "ignored"
    phone = Phone.objects.filter(digest=phones.digest_of(number)).first()
    if phone is None:
        return "unknown"
    stopped = word in STOP_WORDS
    Phone.objects.filter(pk=phone.pk).update(opted_out_at=timezone.now() if stopped else None)
    return "stopped" if stopped else "started"
