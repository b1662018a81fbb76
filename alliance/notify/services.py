"""The one way to notify a person: `send(user, kind, ...)`.

E-mail goes out at once, as it always has (core/mail.py), now with a one-click unsubscribe
link and headers. Push and text messages go by the person's choices: each becomes a
`Delivery` row and a task; during the person's quiet hours the task waits until they end,
and a notification that would then be too late (`expires_at`: a reminder after the start, a
waiting room after the call) is skipped instead of sent late. The unique `Delivery` row makes
a repeated `send` or a retried task a no-op: at most once per channel (a worker dying in the
middle of a send loses that one notification rather than risk sending it twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core import mail
from alliance.notify import kinds, push, sms, texts, unsubscribe
from alliance.notify.models import Delivery, Phone, Preferences, PushSubscription
from alliance.notify.quiet import quiet_until


@dataclass(frozen=True)
class Email:
    """The e-mail a part sends today: a template (`mail.send`) or a `compose` function
    (`mail.send_composed`)."""

    subject: str = ""
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[tuple[str, bytes | str, str], ...] = ()
    compose: Callable[[], tuple[str, str]] | None = None


def preferences_of(user: User) -> Preferences:
    found, _created = Preferences.objects.get_or_create(user=user)
    return found


def send(
    user: User,
    kind: str,
    *,
    key: str,
    link: str,
    facts: dict[str, Any] | None = None,
    email: Email | None = None,
    expires_at: dt.datetime | None = None,
) -> list[str]:
    """Notify `user` of `kind` on each channel they chose; the channels sent or queued.

    `key` names what this is about (the same key twice sends nothing new); `facts` are the
    names and times of the detailed wording, never clinical text; `email` defaults to the
    discreet wording of a push."""
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not user.is_active:
        return []
    prefs = preferences_of(user)
    now = timezone.now()
    facts = facts or {}
    done = []
    if prefs.wants(kind, kinds.EMAIL) and user.email and _claim_email(user, kind, key, now):
        _email(user, kind, email or _default_email(user, kind, facts, link, now))
        done.append(kinds.EMAIL)
    for channel in (kinds.PUSH, kinds.SMS):
        wanted = prefs.wants(kind, channel) and _reachable(user, channel)
        if wanted and _queue(user, prefs, kind, channel, key, link, facts, now, expires_at):
            done.append(channel)
    return done


def _claim_email(user: User, kind: str, key: str, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            Delivery.objects.create(
                user=user,
                key=key[:200],
                channel=kinds.EMAIL,
                kind=kind,
                status=Delivery.Status.SENT,
                due_at=now,
                sent_at=now,
            )
    except IntegrityError:
        return False
    return True


def _footer(user: User, kind: str) -> str:
    with translation.override(mail.language_of(user)):
        return (
            "\n-- \n"
            + _("To stop e-mails like this one: %(url)s") % {"url": unsubscribe.url_for(user, kind)}
            + "\n"
        )


def _email(user: User, kind: str, email: Email) -> None:
    headers, footer = unsubscribe.headers_for(user, kind), _footer(user, kind)
    if email.compose is not None:
        mail.send_composed(user, email.compose, headers=headers, footer=footer)
        return
    mail.send(
        user,
        subject=email.subject,
        template=email.template,
        context=email.context,
        attachments=email.attachments,
        headers=headers,
        footer=footer,
    )


def _default_email(
    user: User, kind: str, facts: dict[str, Any], link: str, now: dt.datetime
) -> Email:
    wording = texts.wording(user, kind, facts, now=now)
    return Email(compose=lambda: (wording.title, f"{wording.body}\n\n{link}\n"))


def _reachable(user: User, channel: str) -> bool:
    if channel == kinds.PUSH:
        return push.enabled() and PushSubscription.objects.filter(user=user).exists()
    phone = Phone.objects.filter(user=user).first()
    return sms.enabled() and phone is not None and phone.can_text


def _queue(
    user: User,
    prefs: Preferences,
    kind: str,
    channel: str,
    key: str,
    link: str,
    facts: dict[str, Any],
    now: dt.datetime,
    expires_at: dt.datetime | None,
) -> bool:
    held = quiet_until(prefs, user, now)
    too_late = held is not None and expires_at is not None and held >= expires_at
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                user=user,
                key=key[:200],
                channel=channel,
                kind=kind,
                facts=facts,
                link=link,
                due_at=held or now,
                expires_at=expires_at,
                status=Delivery.Status.SKIPPED if too_late else Delivery.Status.PENDING,
                reason="quiet_hours" if too_late else "",
            )
    except IntegrityError:
        return False  # already sent or queued
    if not too_late:
        _enqueue_on_commit(delivery.pk, held)
    return not too_late


def _enqueue_on_commit(delivery_id: int, run_after: dt.datetime | None) -> None:
    from alliance.notify.tasks import deliver

    def enqueue() -> None:
        task = deliver.using(run_after=run_after) if run_after is not None else deliver
        task.enqueue(delivery_id)

    transaction.on_commit(enqueue)


def deliver(*, delivery_id: int) -> str:
    """Send one pending push or text message, unless it must wait or is no longer wanted."""
    now = timezone.now()
    delivery = Delivery.objects.select_related("user").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if delivery.status != Delivery.Status.PENDING:
        return delivery.status  # a repeated or retried task
    user = delivery.user
    prefs = preferences_of(user)
    if not user.is_active or not prefs.wants(delivery.kind, delivery.channel):
        return _finish(delivery, Delivery.Status.SKIPPED, "not_wanted")
    if delivery.expires_at is not None and now >= delivery.expires_at:
        return _finish(delivery, Delivery.Status.SKIPPED, "expired")
    held = quiet_until(prefs, user, now)  # the hours may have changed since it was queued
    if held is not None:
        if delivery.expires_at is not None and held >= delivery.expires_at:
            return _finish(delivery, Delivery.Status.SKIPPED, "quiet_hours")
        Delivery.objects.filter(pk=delivery.pk).update(due_at=held)
        _enqueue_on_commit(delivery.pk, held)
        return "held"
    # The claim: only one task moves a row out of `pending`, so only one ever sends it.
    if not Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING
    ):
        return "claimed"
    wording = texts.wording(user, delivery.kind, delivery.facts, now=now)
    if delivery.channel == kinds.PUSH:
        sent = _push(user, wording, delivery.link)
    else:
        sent = _text(user, texts.sms_body(wording, delivery.link, user))
    return _finish(delivery, Delivery.Status.SENT if sent else Delivery.Status.FAILED, "")


def _finish(delivery: Delivery, status: str, reason: str) -> str:
    delivery.status, delivery.reason = status, reason
    delivery.sent_at = timezone.now() if status == Delivery.Status.SENT else None
    delivery.save(update_fields=["status", "reason", "sent_at"])
    return status


def _push(user: User, wording: texts.Wording, link: str) -> bool:
    if not push.enabled():
        return False
    data = push.payload(wording, link, mail.absolute(reverse("notify:settings")))
    results = [push.send_to(s, data) for s in PushSubscription.objects.filter(user=user)]
    return any(results)


def _text(user: User, body: str) -> bool:
    phone = Phone.objects.filter(user=user).first()
    provider = sms.provider()
    if phone is None or not phone.can_text or provider is None:
        return False
    try:
        provider.send(to=str(phone.number), body=body)
    except sms.SmsRefused as exc:
        if exc.opted_out:  # they replied STOP to the carrier: record it, send nothing more
            Phone.objects.filter(pk=phone.pk).update(opted_out_at=timezone.now())
        return False
    return True
