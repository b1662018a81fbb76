"""API rate limits keyed by who is calling: the session user, or else the client address.

ninja's own Anon/Auth throttles key on `request.auth`, which public routes set to a marker
value; keying on the session user keeps one budget per person and one per address. The
address is `client_address` (alliance/core/client_address.py), never ninja's own `get_ident`,
which believes any X-Forwarded-For a client sends.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from alliance.core.client_address import client_address


class AnonymousThrottle(SimpleRateThrottle):
    scope = "anon"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request)


class UserThrottle(SimpleRateThrottle):
    scope = "user"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
