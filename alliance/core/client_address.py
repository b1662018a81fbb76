"""The client's address: one function, one trust boundary.

The trust boundary is the ASGI server. `alliance serve` runs uvicorn with its proxy-header
handling on only when `TRUSTED_PROXIES` lists the proxies in front of it; uvicorn then takes
the client's address from `X-Forwarded-For` when, and only when, the connection comes from one
of them, and otherwise keeps the connection's own address. So `scope["client"]`, which Django
gives as `REMOTE_ADDR`, is the address to believe, and nothing in Alliance reads a forwarded
header itself: a header sent by the client (to the app directly, or through a proxy that only
appends to it) changes nothing. See docs/security.md and docs/operations.md.

Everything that keys on who is connecting takes the address from `client_address`: the
log-in lockout (`AXES_CLIENT_IP_CALLABLE`, which also writes it into the login records) and
the API's anonymous rate limit (alliance/api/throttles.py).
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

UNKNOWN = "0.0.0.0"  # noqa: S104 - a placeholder address, never bound


def client_address(request: HttpRequest) -> str:
    """The address of the client as the ASGI server resolved it, in canonical form (an IPv6
    address written one way, an IPv4-mapped IPv6 address as IPv4); `UNKNOWN` when the server
    gave none (a Unix socket without a trusted proxy)."""
    raw = str(request.META.get("REMOTE_ADDR") or "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
