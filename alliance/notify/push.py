"""Web Push through pywebpush: the payload encrypted for the subscription's keys (RFC 8291,
aes128gcm) and signed with our VAPID key (RFC 8292). Off without VAPID keys."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from pywebpush import WebPushException, webpush

from alliance.notify.models import PushSubscription
from alliance.notify.texts import Wording

log = logging.getLogger(__name__)

# The push service keeps an undelivered notification this long (RFC 8030 TTL): a phone that
# is off for a day does not wake up to yesterday's reminder.
TTL_SECONDS = 6 * 60 * 60
GONE = {404, 410}  # RFC 8030 §7.3: the subscription has expired or was withdrawn


def enabled() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def payload(wording: Wording, link: str, settings_url: str) -> str:
    return json.dumps(
        {
            "title": wording.title,
            "body": wording.body,
            "url": link,
            "settings_url": settings_url,
            "settings_label": wording.settings_label,
        }
    )


def send_to(subscription: PushSubscription, data: str) -> bool:
    """True once the push service accepted it; an expired subscription is deleted."""
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=data,
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            timeout=10,
        )
    except WebPushException as exc:
        if exc.status_code in GONE:
            subscription.delete()
        else:
            log.warning("push to subscription %s failed: %s", subscription.pk, exc.status_code)
        return False
    except Exception as exc:  # a refused connection, a bad key: logged, the next one tried
        log.warning("push to subscription %s failed: %s", subscription.pk, type(exc).__name__)
        return False
    return True
