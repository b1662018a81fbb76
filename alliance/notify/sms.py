"""Text messages through a provider interface; Twilio's official library is the one provider.

Off (nothing sent, nothing broken) until TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
TWILIO_FROM_NUMBER are set. TWILIO_API_BASE points the library at another address — a
proxy, or the tests' local stand-in of Twilio's API."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger(__name__)

TWILIO = "https://api.twilio.com"
# Twilio error 21610: the recipient replied STOP (the carrier will not deliver to them).
UNSUBSCRIBED_RECIPIENT = 21610


class SmsRefused(Exception):
    def __init__(self, reason: str, *, opted_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.opted_out = opted_out


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; the provider's message id, or SmsRefused."""
        ...


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """Twilio's HTTP client with https://api.twilio.com replaced by another base address."""

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO):
            url = self.base + url[len(TWILIO) :]
        return super().request(method, url, *args, **kwargs)


class TwilioProvider:
    def __init__(self, *, account_sid: str, auth_token: str, from_number: str, base: str) -> None:
        http = BaseUrlHttpClient(base, timeout=10) if base.rstrip("/") != TWILIO else None
        self.client = Client(account_sid, auth_token, http_client=http)
        self.from_number = from_number

    def send(self, *, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            raise SmsRefused(
                f"twilio {exc.code}", opted_out=exc.code == UNSUBSCRIBED_RECIPIENT
            ) from exc
        except (TwilioException, OSError) as exc:
            raise SmsRefused(type(exc).__name__) from exc
        return str(message.sid)


def enabled() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER
    )


def provider() -> SmsProvider | None:
    if not enabled():
        return None
    return TwilioProvider(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        from_number=settings.TWILIO_FROM_NUMBER,
        base=settings.TWILIO_API_BASE,
    )
