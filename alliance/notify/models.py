"""Each person's notification choices, their devices and phone number, and what was sent.

The phone number is encrypted with the person's own data key (privacy/fields.py) like
clinical text; a keyed digest of it finds the account when a text message comes in."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from alliance.notify import kinds
from alliance.privacy.fields import EncryptedTextField, Unreadable


def default_channels() -> dict[str, list[str]]:
    return {kind: list(channels) for kind, channels in kinds.DEFAULT_CHANNELS.items()}


class Preferences(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences"
    )
    # {kind: [channel, ...]}; a kind missing here has its default (kinds.DEFAULT_CHANNELS).
    channels = models.JSONField(default=default_channels)
    # Wall-clock times in the person's own zone (User.timezone); start after end spans
    # midnight; both empty: no quiet hours.
    quiet_start = models.TimeField(null=True, blank=True, default=dt.time(21, 0))
    quiet_end = models.TimeField(null=True, blank=True, default=dt.time(8, 0))
    # Off: a lock screen shows "Alliance" and "You have a new update." only.
    show_detail = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification choices of user {self.user_id}"

    def wants(self, kind: str, channel: str) -> bool:
        chosen = self.channels.get(kind, kinds.DEFAULT_CHANNELS.get(kind, []))
        return channel in chosen


class PushSubscription(models.Model):
    """One browser on one device that accepted push (RFC 8030 endpoint, RFC 8291 keys)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=2000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"push device {self.pk} of user {self.user_id}"


class Phone(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_phone"
    )
    number = EncryptedTextField(owner="user_id")  # E.164
    digest = models.CharField(max_length=64, unique=True)  # phones.digest_of(number)
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Set by a STOP reply or the provider's "unsubscribed recipient"; cleared by START.
    opted_out_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"phone of user {self.user_id}"  # never the number: it is personal data

    @property
    def can_text(self) -> bool:
        # Unreadable: the number's key was destroyed (an erasure).
        readable = not isinstance(self.number, Unreadable)
        return self.confirmed_at is not None and self.opted_out_at is None and readable


class Delivery(models.Model):
    """One notification on one channel: unique, so a repeated or retried send never goes out
    twice. Push and SMS rows wait as `pending` until their task claims them."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        SKIPPED = "skipped"
        FAILED = "failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_deliveries"
    )
    key = models.CharField(max_length=200)  # what it is about, e.g. "reminder:12:24h:<start>"
    channel = models.CharField(max_length=10)
    kind = models.CharField(max_length=20)
    # Names and times the detailed wording needs (never a message body or an answer).
    facts = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    # Past this, a held push or text is skipped, not sent late (a reminder after the start).
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "channel"], name="notify_delivery_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key} to user {self.user_id}: {self.status}"
