"""Notification choices in a client's export; erasure deletes their devices, phone number
and delivery records (the choices go with the account)."""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.notify.models import Delivery, Phone, Preferences, PushSubscription


def export_client(user: User) -> dict[str, Any]:
    prefs = Preferences.objects.filter(user=user).first()
    phone = Phone.objects.filter(user=user).first()
    return {
        "preferences": None
        if prefs is None
        else {
            "channels": prefs.channels,
            "quiet_start": prefs.quiet_start.isoformat() if prefs.quiet_start else None,
            "quiet_end": prefs.quiet_end.isoformat() if prefs.quiet_end else None,
            "show_detail": prefs.show_detail,
        },
        "phone": None
        if phone is None
        else {
            "number": str(phone.number),
            "confirmed_at": phone.confirmed_at.isoformat() if phone.confirmed_at else None,
            "texts_stopped_at": phone.opted_out_at.isoformat() if phone.opted_out_at else None,
        },
        "push_devices": [
            {"endpoint_host": s.endpoint.split("/")[2], "since": s.created_at.isoformat()}
            for s in PushSubscription.objects.filter(user=user).order_by("id")
        ],
    }


def erase_client(user: User) -> dict[str, int]:
    subscriptions, _ = PushSubscription.objects.filter(user=user).delete()
    phones, _ = Phone.objects.filter(user=user).delete()
    deliveries, _ = Delivery.objects.filter(user=user).delete()
    Preferences.objects.filter(user=user).delete()
    return {
        "push_subscriptions_deleted": subscriptions,
        "phone_numbers_deleted": phones,
        "deliveries_deleted": deliveries,
    }
