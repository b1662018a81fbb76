"""Switching therapist: free, immediate, no staff approval in the way.

The partnership ends with end_reason "switched" and the client's reason in pillar terms
(bond, goals, tasks, or practical). The previous therapist loses access at once (care.queries
shows therapists only their active partnerships); open safety alerts belong to the client and
stay open with the on-call clinician. The re-match leaves the previous therapist out and, for
a pillar reason, favours therapists with a strong record on that pillar
(`client_query.rematch_context`). Goals and history pass to the next therapist only if the client
agrees (`switch_handoff` here, carried to the new partnership's `handoff_consent`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from alliance.care import services
from alliance.care.models import Partnership
from alliance.core.errors import DomainError
from alliance.matching.vocabulary import SWITCH_REASONS

REASON_CHOICES = [
    ("", _("I'd rather not say")),
    ("bond", _("I did not feel understood")),
    ("goals", _("We were not working on what I want")),
    ("tasks", _("The approach is not right for me")),
    ("practical", _("Practical reasons (times, cost, language)")),
]


class SwitchError(DomainError):
    """A switch refused (the partnership is not active, no reason given)."""


@transaction.atomic
def switch_therapist(
    *, partnership: Partnership, reason: str, consent_handoff: bool
) -> Partnership:
    """End the partnership as a switch; the client then picks from a fresh match. The
    reason is recorded with the end, so every part's handler sees it (care/lifecycle.py)."""
    reason = reason or ""
    if reason and reason not in SWITCH_REASONS:
        raise SwitchError(f"unknown switch reason {reason!r}; expected one of {SWITCH_REASONS}")
    try:
        return services.end_partnership(
            partnership=partnership,
            reason="switched",
            by=partnership.client,
            switch_reason=reason,
            switch_handoff=bool(consent_handoff),
        )
    except services.PartnershipError as exc:
        raise SwitchError(str(exc)) from exc
