"""Log-in lockout by account and by account + address (django-axes, database handler).

Three tiers, each counted over the cool-off period (`AXES_COOLOFF_TIME`) and each locking at
its own limit:

- **account + address** (`AXES_FAILURE_LIMIT`, 5): a person who mistypes their password, or
  one machine guessing one account, is stopped quickly, and only on that machine.
- **account** from any address (`LOCKOUT_ACCOUNT_FAILURE_LIMIT`, 20): guesses spread over
  many addresses (a botnet, or a forged header if a proxy were misconfigured) stop at the
  same total, so rotating addresses gains at most this many guesses per cool-off.
- **address** across accounts (`LOCKOUT_ADDRESS_FAILURE_LIMIT`, 100): one machine trying a
  few passwords on many accounts (password spraying) stops here. It is high because people
  share addresses (an office, a mobile carrier's NAT), and 0 turns it off.

So one address cannot lock anyone else out: its failures for account A lock A only from that
address until they reach the account limit, which takes several addresses, because refused
attempts during a lockout are not counted (`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`
off). NIST SP 800-63B §5.2.2 asks for at most 100 consecutive failures per account; OWASP's
Authentication Cheat Sheet warns that per-account lockout lets an attacker lock out a
victim, hence the per-address first tier and a higher account limit.

django-axes compares one count against one limit (`AXES_FAILURE_LIMIT`) and, with several
`AXES_LOCKOUT_PARAMETERS`, takes the largest count, so the per-account count always wins
and a combined account + address tier would never matter. `get_failures` therefore reports
each tier's count shifted to the common limit: a tier at its own limit reports exactly
`AXES_FAILURE_LIMIT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


@dataclass(frozen=True)
class Tier:
    parameters: tuple[str, ...]
    limit: int


def tiers() -> tuple[Tier, ...]:
    found = [
        Tier(("username", "ip_address"), int(settings.AXES_FAILURE_LIMIT)),
        Tier(("username",), int(settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT)),
    ]
    if settings.LOCKOUT_ADDRESS_FAILURE_LIMIT > 0:
        found.append(Tier(("ip_address",), int(settings.LOCKOUT_ADDRESS_FAILURE_LIMIT)))
    return tuple(found)


def lockout_parameters(request_or_attempt: Any, credentials: Any = None) -> list[Any]:
    """`AXES_LOCKOUT_PARAMETERS`: the tiers' parameters, for what django-axes does itself
    with them (its records and messages)."""
    return [list(t.parameters) if len(t.parameters) > 1 else t.parameters[0] for t in tiers()]


def username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """`AXES_USERNAME_CALLABLE`: the e-mail address as the log-in form matches it (trimmed,
    lower case), so changing its case does not start a fresh count."""
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    if not value:
        return None
    return str(value).strip().lower()


class TieredLockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes is untyped
    """django-axes' database handler with one limit per tier (see the module's text)."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        values = {
            "username": get_client_username(request, credentials),
            "ip_address": request.axes_ip_address,
        }
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        common = int(settings.AXES_FAILURE_LIMIT)
        worst = 0
        for tier in tiers():
            if any(values[name] is None for name in tier.parameters):
                continue  # no e-mail given: nothing to count for an account
            count = (
                recent.filter(**{name: values[name] for name in tier.parameters}).aggregate(
                    n=Sum("failures_since_start")
                )["n"]
                or 0
            )
            worst = max(worst, count + common - tier.limit)
        return worst

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """After a successful log-in, forget that account's failures (from every address),
        never other accounts' failures from the same address: logging in to one's own
        account must not reset a spraying count."""
        name = get_client_username(request, credentials)
        if name is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=name).delete()
        return int(count)
